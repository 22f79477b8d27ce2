/* src/learn/slda_la_impl.h - the body of SLDA's linear algebra (slda_la.h), included once per
 * instruction set by a file that first defines SLDA_LA_NAME(x) (a unique name for each static
 * function) and SLDA_LA_TABLE (the table's name). Not a header to include anywhere else.
 *
 * The rebuild is O(d^3/6) for the factorisation plus O(d^2) per class for the solves, all in
 * double; at d = 1280 the matrix (13 MB) does not fit in cache, so the cost is dominated by
 * streaming rows of L rather than by arithmetic. Both steps are therefore blocked so that every
 * row of L that is streamed is used four times (JB = 4 columns of the factor, or four classes
 * in the solves; 8 or 16 columns measured slower at d = 1280: the extra within-block scalar
 * work costs more than the saved traffic), and the inner products run on 4-wide double
 * vectors (GCC/Clang vector extensions: two SSE2 ops on baseline x86-64, one AVX2 op in the
 * AVX2 instance) with a plain-C fallback. */
#if defined(__GNUC__) || defined(__clang__)
typedef double SLDA_LA_NAME(v4d) __attribute__((vector_size(32), aligned(8)));
#define v4d SLDA_LA_NAME(v4d)
#define V4_LOAD(p) (*(const v4d *)(const void *)(p))
#define V4_STORE(p, v) (*(v4d *)(void *)(p) = (v))
#define HAVE_V4 1
#endif

#define CB ECL_SLDA_SOLVE_GROUP /* classes per solve group */
#define JB 4u                   /* columns of L per factorisation block (a multiple of 4) */

/* out[t] = sum_{k<n} a[k] * b[t][k] for t < 4 (b rows may alias each other). */
static void SLDA_LA_NAME(dot4)(const double *a, const double *b0, const double *b1,
                               const double *b2, const double *b3, uint32_t n, double out[4]) {
    uint32_t k = 0;
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
#ifdef HAVE_V4
    v4d c0 = {0, 0, 0, 0}, c1 = c0, c2 = c0, c3 = c0;
    v4d e0 = c0, e1 = c0, e2 = c0, e3 = c0; /* second chains: hide the add latency */
    for (; k + 8 <= n; k += 8) {
        const v4d av = V4_LOAD(a + k), aw = V4_LOAD(a + k + 4);
        c0 += av * V4_LOAD(b0 + k);
        c1 += av * V4_LOAD(b1 + k);
        c2 += av * V4_LOAD(b2 + k);
        c3 += av * V4_LOAD(b3 + k);
        e0 += aw * V4_LOAD(b0 + k + 4);
        e1 += aw * V4_LOAD(b1 + k + 4);
        e2 += aw * V4_LOAD(b2 + k + 4);
        e3 += aw * V4_LOAD(b3 + k + 4);
    }
    c0 += e0;
    c1 += e1;
    c2 += e2;
    c3 += e3;
    for (; k + 4 <= n; k += 4) {
        const v4d av = V4_LOAD(a + k);
        c0 += av * V4_LOAD(b0 + k);
        c1 += av * V4_LOAD(b1 + k);
        c2 += av * V4_LOAD(b2 + k);
        c3 += av * V4_LOAD(b3 + k);
    }
    s0 = (c0[0] + c0[1]) + (c0[2] + c0[3]);
    s1 = (c1[0] + c1[1]) + (c1[2] + c1[3]);
    s2 = (c2[0] + c2[1]) + (c2[2] + c2[3]);
    s3 = (c3[0] + c3[1]) + (c3[2] + c3[3]);
#endif
    for (; k < n; k++) {
        s0 += a[k] * b0[k];
        s1 += a[k] * b1[k];
        s2 += a[k] * b2[k];
        s3 += a[k] * b3[k];
    }
    out[0] = s0;
    out[1] = s1;
    out[2] = s2;
    out[3] = s3;
}

/* In-place lower Cholesky of the d x d matrix in a (row-major, lower triangle). 0 on failure.
 * Left-looking (Crout) by blocks of JB columns j0..j0+jb-1, one pass over the rows i >= j0:
 * row i subtracts its inner products with the block's rows over the finished columns
 * 0..j0-1 (row i is read once for all jb columns), then finishes its
 * jb entries with the small within-block terms. Rows of the block come first, so they are
 * final when used. */
static int SLDA_LA_NAME(cholesky)(double *a, uint32_t d) {
    for (uint32_t j0 = 0; j0 < d; j0 += JB) {
        const uint32_t jb = d - j0 < JB ? d - j0 : JB;
        const double *rb[JB];
        double inv[JB];
        for (uint32_t t = 0; t < JB; t++) {
            rb[t] = a + (size_t)(j0 + (t < jb ? t : 0)) * d;
            inv[t] = 0.0;
        }
        for (uint32_t i = j0; i < d; i++) {
            double *ri = a + (size_t)i * d;
            double s[JB];
            const uint32_t tmax = i - j0 + 1 < jb ? i - j0 + 1 : jb; /* columns j <= i */
            for (uint32_t t = 0; t < tmax; t += 4)
                SLDA_LA_NAME(dot4)(ri, rb[t], rb[t + 1], rb[t + 2], rb[t + 3], j0, s + t);
            for (uint32_t t = 0; t < tmax; t++) {
                const uint32_t j = j0 + t;
                double v = ri[j] - s[t];
                for (uint32_t u = j0; u < j; u++)
                    v -= ri[u] * rb[t][u];
                if (j == i) {
                    if (!(v > 0.0) || !isfinite(v)) return 0;
                    const double ljj = sqrt(v);
                    ri[j] = ljj;
                    inv[t] = 1.0 / ljj;
                } else {
                    ri[j] = v * inv[t];
                }
            }
        }
    }
    return 1;
}

/* Solve L L^T w = mu for up to CB right-hand sides at once (t[r] holds d doubles each).
 * Forward: row-wise inner products; backward (L^T w = t): for i from the bottom,
 * t[0..i) -= t[i] * L[i][0..i), so both sweeps read L by rows. */
static void SLDA_LA_NAME(solve)(const double *L, uint32_t d, double *t[CB], uint32_t nr) {
    double *tt[CB];
    for (uint32_t r = 0; r < CB; r++)
        tt[r] = t[r < nr ? r : 0];
    for (uint32_t i = 0; i < d; i++) {
        const double *ri = L + (size_t)i * d;
        double s[CB];
        SLDA_LA_NAME(dot4)(ri, tt[0], tt[1], tt[2], tt[3], i, s);
        for (uint32_t r = 0; r < nr; r++)
            tt[r][i] = (tt[r][i] - s[r]) / ri[i];
    }
    for (uint32_t i = d; i-- > 0;) {
        const double *ri = L + (size_t)i * d;
        for (uint32_t r = 0; r < nr; r++) {
            double *x = tt[r];
            const double ti = x[i] / ri[i];
            x[i] = ti;
            uint32_t k = 0;
#ifdef HAVE_V4
            for (; k + 4 <= i; k += 4)
                V4_STORE(x + k, V4_LOAD(x + k) - ti * V4_LOAD(ri + k));
#endif
            for (; k < i; k++)
                x[k] -= ti * ri[k];
        }
    }
}

const struct ecl_slda_la SLDA_LA_TABLE = {SLDA_LA_INSTANCE, SLDA_LA_NAME(cholesky),
                                          SLDA_LA_NAME(solve)};

/* AVX-512 int8 ADD, same shapes (compiled with the AVX-512 flags; installed only when
 * ecl_opt_have_avx512() finds AVX-512F/BW/VL, see opt_install.c). The AVX2 kernel's vector path
 * (avx2_int8.c, ecl_avx2_add_i8) widened to 16 lanes with q_avx512.h's rqz_raw(), which equals
 * q_avx2.h's rq_raw() lane for lane; on the parameters where that path applies (the same test
 * as the AVX2 kernel: left_shift <= 20, input shifts <= 1, zero points within int8,
 * rq_vec_ok()) it is bit-exact with the reference for the reason given there. The n % 16 rest
 * runs the same vector code on masked loads and stores. Anything else (broadcasting,
 * other parameters) goes to ecl_avx2_add_i8. */
#include <immintrin.h>
#include <stdint.h>
#include "kernels/opt/opt.h"
#include "kernels/opt/x86/q_avx2.h"
#include "kernels/opt/x86/q_avx512.h"

struct zadd_job {
    const struct ecl_binary_params *p;
    const int8_t *a, *b;
    int8_t *out;
    size_t n, len;
};

static void zadd_chunks(void *ctx, int begin, int end) {
    const struct zadd_job *j = ctx;
    const struct ecl_binary_params *p = j->p;
    size_t i = (size_t)begin * j->len, e = (size_t)end * j->len;
    if (e > j->n) e = j->n;
    const struct rqz ra =
        rqz_from(_mm512_set1_epi32(p->a_mult), _mm512_set1_epi32(p->a_shift), ECL_ROUND_DOUBLE);
    const struct rqz rb =
        rqz_from(_mm512_set1_epi32(p->b_mult), _mm512_set1_epi32(p->b_shift), ECL_ROUND_DOUBLE);
    const struct rqz ro =
        rqz_from(_mm512_set1_epi32(p->out_mult), _mm512_set1_epi32(p->out_shift), ECL_ROUND_DOUBLE);
    const __m512i azp = _mm512_set1_epi32(p->a_zp), bzp = _mm512_set1_epi32(p->b_zp);
    const __m128i ls = _mm_cvtsi32_si128(p->left_shift);
    const struct rqo o = rqo_make2(p->out_zp, p->act_min_q, p->act_max_q);
    const int lsh = p->a_shift > 0 || p->b_shift > 0, olsh = p->out_shift > 0;
    for (; i < e; i += 16) {
        __mmask16 m = e - i >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (e - i)) - 1);
        __m512i xa = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, j->a + i));
        __m512i xb = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, j->b + i));
        xa = _mm512_sll_epi32(_mm512_sub_epi32(xa, azp), ls);
        xb = _mm512_sll_epi32(_mm512_sub_epi32(xb, bzp), ls);
        __m512i s = _mm512_add_epi32(rqz_raw(xa, &ra, lsh), rqz_raw(xb, &rb, lsh));
        _mm_mask_storeu_epi8(j->out + i, m, rqz_pack(rqz_raw(s, &ro, olsh), &o));
    }
}

void ecl_avx512_add_i8(const struct ecl_kctx *kc, const struct ecl_binary_params *p,
                       const int8_t *a, struct ecl_shape4 as, const int8_t *b, struct ecl_shape4 bs,
                       int8_t *out, struct ecl_shape4 os) {
    struct zadd_job j = {p, a, b, out, ecl_shape4_count(os), 0};
    j.len = ecl_split_elem_len(kc, j.n);
    int chunks = ecl_split_elem_items(j.n, j.len);
    int vec = p->left_shift >= 0 && p->left_shift <= 20 && p->a_zp >= -128 && p->a_zp <= 127 &&
              p->b_zp >= -128 && p->b_zp <= 127 && p->a_shift <= 1 && p->b_shift <= 1 &&
              rq_vec_ok(&p->a_mult, &p->a_shift, 1, 0, -128, 127, ECL_ROUND_DOUBLE) &&
              rq_vec_ok(&p->b_mult, &p->b_shift, 1, 0, -128, 127, ECL_ROUND_DOUBLE) &&
              rq_vec_ok(&p->out_mult, &p->out_shift, 1, p->out_zp, p->act_min_q, p->act_max_q,
                        ECL_ROUND_DOUBLE);
    if (!vec || chunks < 0 || !ecl_opt_same_shape(as, os) || !ecl_opt_same_shape(bs, os)) {
        ecl_avx2_add_i8(kc, p, a, as, b, bs, out, os);
        return;
    }
    ecl_kctx_run(kc, chunks, zadd_chunks, &j);
}

/* test_crash_safety.c - state files survive SIGKILL at any point and a full disk.
 *
 * Why these tests: the demo and the CLI save a learner's state after every update. A power cut,
 * an OOM kill or a full SD card on an edge device must never leave a half-written state that
 * loses everything learned so far. ecl_port_save_atomic promises "old file or new file, never a
 * mix"; here we check the promise from the outside:
 *
 *  kill_*: a child process saves versions of a state in a tight loop; the parent SIGKILLs it
 *          after a random delay (microseconds), 200 times, and after every kill checks that the
 *          file at the path is a complete, valid version (CRC ok) and not older than the last one
 *          seen. Two payloads: an opaque CRC-protected blob of alternating sizes (so a torn or
 *          truncated write is visible), and a real learner state (ecl_learner_state_params +
 *          ecl_learner_state_read must accept it).
 *  disk_full_rlimit: the write of a larger version fails (RLIMIT_FSIZE, EFBIG); save returns an
 *          error, the previous file stays intact, no temp file is left.
 *  disk_full_tmpfs: the same on a real 64 KiB tmpfs (ENOSPC) when we may mount (root); the new
 *          version fits the disk alone but not next to the old one, which is the realistic case.
 *
 * Env: RELIAB_KILLS overrides the number of kills (default 200). */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "edgecl/port.h"
#include "reliab/reliab_util.h"
#ifdef ECL_HAVE_LEARNER
#include "edgecl/learner.h"
#endif

/* ------------------------------------------------------------------ opaque payload versions */
/* Layout: "RLBT" u32 | seq u64 | len u32 | data[len] | crc32 u32 (over all before it).
 * Even versions are 192 KiB, odd ones 128 KiB: a file holding the head of one version and the
 * tail of another, or a truncated one, fails the CRC or the length check. */
#define HDR 16u
static size_t blob_data_len(uint64_t seq) {
    return (seq & 1) ? 128u * 1024u : 192u * 1024u;
}

static size_t blob_make(uint64_t seq, unsigned char *buf) {
    size_t dl = blob_data_len(seq);
    memcpy(buf, "RLBT", 4);
    for (int i = 0; i < 8; i++)
        buf[4 + i] = (unsigned char)(seq >> (8 * i));
    for (int i = 0; i < 4; i++)
        buf[12 + i] = (unsigned char)(dl >> (8 * i));
    uint32_t s = (uint32_t)seq * 2654435761u + 1u;
    for (size_t i = 0; i < dl; i++) {
        s = s * 1664525u + 1013904223u;
        buf[HDR + i] = (unsigned char)(s >> 24);
    }
    uint32_t c = rl_crc32(buf, HDR + dl);
    for (int i = 0; i < 4; i++)
        buf[HDR + dl + i] = (unsigned char)(c >> (8 * i));
    return HDR + dl + 4;
}

/* Returns 0 and the version's seq if buf is one complete version, byte for byte. */
static int blob_check(const unsigned char *buf, size_t len, uint64_t *seq, unsigned char *scratch) {
    if (len < HDR + 4 || memcmp(buf, "RLBT", 4)) return -1;
    uint64_t s = 0;
    for (int i = 0; i < 8; i++)
        s |= (uint64_t)buf[4 + i] << (8 * i);
    if (blob_make(s, scratch) != len || memcmp(scratch, buf, len)) return -1;
    *seq = s;
    return 0;
}

/* ------------------------------------------------------------------ kill loop */
struct kill_ops {
    const char *name;
    /* writes the first version to path */
    void (*init)(const char *path);
    /* never returns: saves newer and newer versions to path, starting after the one there */
    void (*child)(const char *path, uint64_t base);
    /* 0 if the file's bytes are one complete valid version; *ver = its version number */
    int (*check)(const unsigned char *buf, size_t len, uint64_t *ver);
};

static unsigned char *g_scratch; /* 2 versions' worth */

static void blob_init(const char *path) {
    size_t n = blob_make(0, g_scratch);
    assert_int_equal(ecl_port_save_atomic(path, g_scratch, n), ECL_OK);
}

static void blob_child(const char *path, uint64_t base) {
    for (uint64_t s = base;; s++) {
        size_t n = blob_make(s, g_scratch);
        if (ecl_port_save_atomic(path, g_scratch, n) != ECL_OK) _exit(3);
    }
}

static int blob_check_file(const unsigned char *buf, size_t len, uint64_t *ver) {
    return blob_check(buf, len, ver, g_scratch);
}

static int env_int(const char *name, int def) {
    const char *v = getenv(name);
    return v && atoi(v) > 0 ? atoi(v) : def;
}

static void run_kill_loop(const struct kill_ops *ops) {
    char dir[4096], path[4200];
    rl_make_tmpdir(dir, sizeof dir, ops->name);
    snprintf(path, sizeof path, "%s/state.ecls", dir);
    ops->init(path);

    int kills = env_int("RELIAB_KILLS", 200);
    uint64_t last = 0;
    int advanced = 0, left_tmp = 0;
    unsigned rs = (unsigned)time(NULL) ^ (unsigned)getpid();
    fprintf(stderr, "[%s] %d SIGKILLs at random points (seed %u)\n", ops->name, kills, rs);
    for (int k = 0; k < kills; k++) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            alarm(20); /* never outlive a broken parent */
            ops->child(path, last + 1);
            _exit(4);
        }
        /* Half the kills within 4 ms (process start-up, the first write/fsync/rename), half
         * within 25 ms (several complete versions on a loaded machine). */
        rs = rs * 1103515245u + 12345u;
        useconds_t delay = (useconds_t)((rs >> 8) % ((k & 1) ? 25000u : 4000u));
        usleep(delay);
        kill(pid, SIGKILL);
        int wst = 0;
        assert_int_equal(waitpid(pid, &wst, 0), pid);
        if (!(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL)) {
            fail_msg("kill %d: saver exited by itself (status 0x%x): a save failed", k, wst);
        }
        void *buf = NULL;
        size_t len = 0;
        enum ecl_status st = ecl_port_read_file(path, &buf, &len);
        if (st != ECL_OK) fail_msg("kill %d: state file unreadable: %s", k, ecl_status_str(st));
        uint64_t ver = 0;
        int bad = ops->check(buf, len, &ver);
        free(buf);
        if (bad) fail_msg("kill %d (after %u us): state file is not a complete version", k, delay);
        if (ver < last)
            fail_msg("kill %d: version went back from %llu to %llu", k, (unsigned long long)last,
                     (unsigned long long)ver);
        if (ver > last) advanced++;
        last = ver;
        /* A kill between open() and rename() leaves the saver's temp file behind (nobody can
         * clean up after SIGKILL). It must never be mistaken for the state; remove it. */
        left_tmp += rl_count_prefix(dir, "state.ecls.tmp.", 1);
    }
    fprintf(stderr,
            "[%s] ok: %d kills, file advanced %d times, last version %llu, "
            "%d kills landed mid-save (temp file left)\n",
            ops->name, kills, advanced, (unsigned long long)last, left_tmp);
    /* the test only means something if kills landed both between saves (the file advanced)
     * and inside them (a temp file was left); typical runs see dozens of each in 200 kills */
    if (advanced == 0) fail_msg("[%s] the state file never advanced: no save completed", ops->name);
    if (left_tmp == 0) fail_msg("[%s] no kill landed inside a save: nothing was tested", ops->name);
    rl_rmdir_all(dir);
}

static void kill_blob(void **state) {
    (void)state;
    static const struct kill_ops ops = {"blob", blob_init, blob_child, blob_check_file};
    run_kill_loop(&ops);
}

#ifdef ECL_HAVE_LEARNER
/* ------------------------------------------------------------------ real learner states */
/* A replay learner with u8 storage: its state holds the head weights, optimiser moments and the
 * replay memory, so a version is ~100 KiB and changes everywhere between versions. */
#define LD 128u
#define LC 10u
#define LB 8u

static struct ecl_learner_params learner_params(void) {
    struct ecl_learner_params p = ecl_learner_default_params(ECL_LEARNER_REPLAY, LD, LC);
    p.replay.capacity = 400;
    p.replay.storage = ECL_REPLAY_U8;
    p.head.hidden[0] = 64;
    p.head.n_hidden = 1;
    p.epochs = 1;
    p.seed = 7;
    return p;
}

static void make_batch(uint64_t step, float *x, int32_t *y) {
    uint32_t s = (uint32_t)step * 747796405u + 2891336453u;
    for (uint32_t i = 0; i < LB; i++) {
        y[i] = (int32_t)((step + i) % LC);
        for (uint32_t d = 0; d < LD; d++) {
            s = s * 1664525u + 1013904223u;
            x[i * LD + d] = (float)y[i] + (float)(s >> 8) / 16777216.0f;
        }
    }
}

/* Loads the state at buf into a fresh learner (malloc'd into *mem); 0 on success. */
static int learner_load(const void *buf, size_t len, struct ecl_learner **l, void **mem) {
    struct ecl_learner_params p;
    if (ecl_learner_state_params(buf, len, &p) != ECL_OK) return -1;
    size_t need = 0;
    if (ecl_learner_mem_size(&p, &need) != ECL_OK) return -1;
    *mem = malloc(need);
    if (!*mem) return -1;
    if (ecl_learner_init(&p, *mem, need, l) != ECL_OK ||
        ecl_learner_state_read(*l, buf, len) != ECL_OK) {
        free(*mem);
        *mem = NULL;
        return -1;
    }
    return 0;
}

static void learner_save(struct ecl_learner *l, const char *path) {
    size_t sz = 0, w = 0;
    if (ecl_learner_state_size(l, &sz) != ECL_OK) _exit(5);
    unsigned char *b = malloc(sz);
    if (!b || ecl_learner_state_write(l, b, sz, &w) != ECL_OK) _exit(5);
    if (ecl_port_save_atomic(path, b, w) != ECL_OK) _exit(3);
    free(b);
}

static void learner_init_file(const char *path) {
    struct ecl_learner_params p = learner_params();
    size_t need = 0;
    assert_int_equal(ecl_learner_mem_size(&p, &need), ECL_OK);
    void *mem = malloc(need);
    struct ecl_learner *l = NULL;
    assert_int_equal(ecl_learner_init(&p, mem, need, &l), ECL_OK);
    learner_save(l, path);
    free(mem);
}

static void learner_child(const char *path, uint64_t base) {
    (void)base;
    /* Like a real app: resume from the file, learn, save after every batch. */
    void *buf = NULL;
    size_t len = 0;
    if (ecl_port_read_file(path, &buf, &len) != ECL_OK) _exit(6);
    struct ecl_learner *l = NULL;
    void *mem = NULL;
    if (learner_load(buf, len, &l, &mem)) _exit(6);
    free(buf);
    float x[LB * LD];
    int32_t y[LB];
    for (;;) {
        make_batch(ecl_learner_n_seen(l) / LB, x, y);
        if (ecl_learner_observe(l, x, y, LB) != ECL_OK) _exit(7);
        learner_save(l, path);
    }
}

static int learner_check(const unsigned char *buf, size_t len, uint64_t *ver) {
    struct ecl_learner *l = NULL;
    void *mem = NULL;
    if (learner_load(buf, len, &l, &mem)) return -1;
    uint64_t n = ecl_learner_n_seen(l);
    /* Complete versions hold whole batches, and writing the loaded learner gives the same bytes
     * back (nothing was half-loaded or silently defaulted). */
    int bad = (n % LB) != 0;
    size_t sz = 0, w = 0;
    if (!bad && ecl_learner_state_size(l, &sz) != ECL_OK) bad = 1;
    unsigned char *again = bad ? NULL : malloc(sz);
    if (!bad && (!again || ecl_learner_state_write(l, again, sz, &w) != ECL_OK || w != len ||
                 memcmp(again, buf, len)))
        bad = 1;
    free(again);
    free(mem);
    *ver = n;
    return bad ? -1 : 0;
}

static void kill_learner(void **state) {
    (void)state;
    static const struct kill_ops ops = {"learner", learner_init_file, learner_child, learner_check};
    run_kill_loop(&ops);
}
#endif

/* ------------------------------------------------------------------ disk full */
/* Saves v_old, then tries v_new which must fail; checks the aftermath. Runs in a child when
 * use_rlimit (the limit would otherwise stay on the test process). */
static int try_failing_save(const char *path, int use_rlimit, rlim_t limit) {
    size_t n = blob_make(3, g_scratch); /* 128 KiB + header */
    if (use_rlimit) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {limit, limit};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) return 10;
    }
    return ecl_port_save_atomic(path, g_scratch, n) == ECL_OK ? 0 : 1;
}

static void check_old_intact(const char *dir, const char *path, uint64_t want_seq) {
    void *buf = NULL;
    size_t len = 0;
    assert_int_equal(ecl_port_read_file(path, &buf, &len), ECL_OK);
    uint64_t seq = 99;
    assert_int_equal(blob_check(buf, len, &seq, g_scratch + 256 * 1024), 0);
    assert_int_equal(seq, want_seq);
    free(buf);
    assert_int_equal(rl_count_prefix(dir, "state.ecls.tmp", 0), 0);
}

/* A small old version: seq 0 has 192 KiB, too big for the limits below, so build a short one. */
static size_t small_blob(unsigned char *buf, uint64_t seq, size_t dl) {
    memcpy(buf, "RLBT", 4);
    for (int i = 0; i < 8; i++)
        buf[4 + i] = (unsigned char)(seq >> (8 * i));
    for (int i = 0; i < 4; i++)
        buf[12 + i] = (unsigned char)(dl >> (8 * i));
    memset(buf + HDR, 0x5a, dl);
    uint32_t c = rl_crc32(buf, HDR + dl);
    for (int i = 0; i < 4; i++)
        buf[HDR + dl + i] = (unsigned char)(c >> (8 * i));
    return HDR + dl + 4;
}

static void check_small_intact(const char *dir, const char *path, const unsigned char *want,
                               size_t want_len) {
    void *buf = NULL;
    size_t len = 0;
    assert_int_equal(ecl_port_read_file(path, &buf, &len), ECL_OK);
    assert_int_equal(len, want_len);
    assert_memory_equal(buf, want, want_len);
    assert_int_equal(rl_crc32(buf, len - 4),
                     (uint32_t)((const unsigned char *)buf)[len - 4] |
                         (uint32_t)((const unsigned char *)buf)[len - 3] << 8 |
                         (uint32_t)((const unsigned char *)buf)[len - 2] << 16 |
                         (uint32_t)((const unsigned char *)buf)[len - 1] << 24);
    free(buf);
    int left = rl_count_prefix(dir, "state.ecls.tmp", 0);
    if (left) fail_msg("%d temp file(s) left behind after a failed save", left);
}

static void disk_full_rlimit(void **state) {
    (void)state;
    char dir[4096], path[4200];
    rl_make_tmpdir(dir, sizeof dir, "fsize");
    snprintf(path, sizeof path, "%s/state.ecls", dir);
    static unsigned char old[16 * 1024 + 64];
    size_t old_len = small_blob(old, 1, 16 * 1024);
    assert_int_equal(ecl_port_save_atomic(path, old, old_len), ECL_OK);

    /* Limits below, at, and just above a page boundary, and just under the new size. */
    const rlim_t limits[] = {0, 1, 4096, 32 * 1024 + 1, 128 * 1024};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) _exit(try_failing_save(path, 1, limits[i]));
        int wst = 0;
        assert_int_equal(waitpid(pid, &wst, 0), pid);
        assert_true(WIFEXITED(wst));
        if (WEXITSTATUS(wst) != 1)
            fail_msg("limit %lu: save should fail with an error, child status %d",
                     (unsigned long)limits[i], WEXITSTATUS(wst));
        check_small_intact(dir, path, old, old_len);
    }
    /* Without the limit the same save works. */
    assert_int_equal(try_failing_save(path, 0, 0), 0);
    check_old_intact(dir, path, 3);
    rl_rmdir_all(dir);
}

static void disk_full_tmpfs(void **state) {
    (void)state;
    char dir[4096], path[4200];
    rl_make_tmpdir(dir, sizeof dir, "tmpfs");
    if (geteuid() != 0 || mount("tmpfs", dir, "tmpfs", 0, "size=64k") != 0) {
        fprintf(stderr, "[tmpfs] cannot mount a tmpfs here (%s): covered by the rlimit test\n",
                geteuid() ? "not root" : strerror(errno));
        rmdir(dir);
        skip();
    }
    snprintf(path, sizeof path, "%s/state.ecls", dir);
    static unsigned char old[24 * 1024 + 64], mid[40 * 1024 + 64];
    size_t old_len = small_blob(old, 1, 24 * 1024);
    assert_int_equal(ecl_port_save_atomic(path, old, old_len), ECL_OK);
    /* 40 KiB fits the 64 KiB disk alone, but not next to the 24 KiB old version. */
    size_t mid_len = small_blob(mid, 2, 40 * 1024);
    enum ecl_status st = ecl_port_save_atomic(path, mid, mid_len);
    int ok = st != ECL_OK;
    check_small_intact(dir, path, old, old_len);
    /* 192 KiB never fits. */
    size_t big = blob_make(0, g_scratch);
    int ok2 = ecl_port_save_atomic(path, g_scratch, big) != ECL_OK;
    check_small_intact(dir, path, old, old_len);
    /* The failed attempts freed their space: a small new version still saves. */
    size_t s2 = small_blob(mid, 3, 8 * 1024);
    int ok3 = ecl_port_save_atomic(path, mid, s2) == ECL_OK;
    if (ok3) check_small_intact(dir, path, mid, s2);
    umount2(dir, MNT_DETACH);
    rmdir(dir);
    assert_true(ok);
    assert_true(ok2);
    assert_true(ok3);
}

int main(void) {
    g_scratch = malloc(512 * 1024);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(disk_full_rlimit),
        cmocka_unit_test(disk_full_tmpfs),
        cmocka_unit_test(kill_blob),
#ifdef ECL_HAVE_LEARNER
        cmocka_unit_test(kill_learner),
#endif
    };
    int r = cmocka_run_group_tests(tests, NULL, NULL);
    free(g_scratch);
    return r;
}

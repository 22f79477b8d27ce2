/* edgecl/status.h - error codes shared by every edgecl call.
 *
 * Every fallible call returns enum ecl_status; results travel in out-parameters.
 *
 *     enum ecl_status st = ecl_learner_observe(l, x, y, n);
 *     if (st != ECL_OK) fprintf(stderr, "observe: %s\n", ecl_status_str(st));
 */
#ifndef EDGECL_STATUS_H
#define EDGECL_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

enum ecl_status {
    ECL_OK = 0,
    ECL_EINVAL,       /* invalid argument (NULL, zero size, label out of range, ...) */
    ECL_ENOMEM,       /* caller-supplied memory too small */
    ECL_EIO,          /* read/write/fsync/rename failed (port layer) */
    ECL_EFORMAT,      /* not the expected file format (bad magic, bad structure) */
    ECL_ETRUNCATED,   /* input ends before its declared length */
    ECL_ECORRUPT,     /* checksum mismatch or inconsistent contents */
    ECL_EVERSION,     /* unsupported format version */
    ECL_EUNSUPPORTED, /* valid input using a feature we do not implement (e.g. unknown op) */
    ECL_ERANGE,       /* value out of the supported range (dims too large, too many classes) */
    ECL_EFULL,        /* capacity reached (classes, buffer) */
    ECL_ENOTFOUND,    /* named item (tensor, class, file) does not exist */
    ECL_ESTATE,       /* call not valid in the object's current state */
    ECL_EBUSY,        /* resource held by another process (e.g. a state file's lock) */
    ECL_EOOM          /* the system is out of memory (malloc failed in the port layer/tools) */
};

/* Human-readable, static string for a status code; never NULL. */
const char *ecl_status_str(enum ecl_status st);

#ifdef __cplusplus
}
#endif
#endif

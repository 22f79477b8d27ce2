#include "edgecl/status.h"

const char *ecl_status_str(enum ecl_status st) {
    switch (st) {
    case ECL_OK:
        return "ok";
    case ECL_EINVAL:
        return "invalid argument";
    case ECL_ENOMEM:
        return "not enough memory supplied";
    case ECL_EIO:
        return "I/O error";
    case ECL_EFORMAT:
        return "bad file format";
    case ECL_ETRUNCATED:
        return "input is truncated";
    case ECL_ECORRUPT:
        return "input is corrupted (checksum or consistency check failed)";
    case ECL_EVERSION:
        return "unsupported format version";
    case ECL_EUNSUPPORTED:
        return "unsupported feature";
    case ECL_ERANGE:
        return "value out of supported range";
    case ECL_EFULL:
        return "capacity reached";
    case ECL_ENOTFOUND:
        return "not found";
    case ECL_ESTATE:
        return "call not valid in the current state";
    case ECL_EBUSY:
        return "in use by another process";
    case ECL_EOOM:
        return "out of memory";
    }
    return "unknown status";
}

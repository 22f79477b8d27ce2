/* TFLite model reader: validates the whole FlatBuffer once at parse time (so the accessors
 * and the interpreter can rely on in-range indices and consistent sizes), then reads records
 * on demand. Nothing is copied: names, weights and quantisation vectors stay in the caller's
 * buffer. */
#include <string.h>
#include "tflite/op.h"

/* ------------------------------------------------------------------ messages */
void ecl_msg_init(struct msg *m, char *buf, size_t cap) {
    m->s = buf;
    m->cap = buf ? cap : 0;
    m->len = 0;
    if (m->cap) buf[0] = 0;
}

void ecl_msg_str(struct msg *m, const char *s) {
    if (!m->cap) return;
    while (*s && m->len + 1 < m->cap)
        m->s[m->len++] = *s++;
    m->s[m->len] = 0;
}

void ecl_msg_int(struct msg *m, int64_t v) {
    char tmp[24];
    int i = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[i++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) tmp[i++] = '-';
    char out[24];
    int k = 0;
    while (i)
        out[k++] = tmp[--i];
    out[k] = 0;
    ecl_msg_str(m, out);
}

/* ------------------------------------------------------------------ op names */
#define ECL_X_NAME(name, code) [code] = #name,
static const char *const OP_NAMES[ECL_OP_COUNT] = {ECL_BUILTINS(ECL_X_NAME)};
#undef ECL_X_NAME

int ecl_builtin_known(int32_t code) {
    return code >= 0 && (size_t)code < sizeof OP_NAMES / sizeof OP_NAMES[0];
}

const char *ecl_builtin_name(int32_t code) {
    return ecl_builtin_known(code) ? OP_NAMES[code] : "UNKNOWN";
}

void ecl_msg_op_name(struct msg *m, int32_t builtin, const char *custom) {
    if (builtin == ECL_OP_CUSTOM && custom && custom[0]) {
        ecl_msg_str(m, custom);
    } else if (ecl_builtin_known(builtin)) {
        ecl_msg_str(m, OP_NAMES[builtin]);
    } else {
        ecl_msg_str(m, "unknown op ");
        ecl_msg_int(m, builtin);
    }
}

/* ------------------------------------------------------------------ records */
static struct fb_buf mbuf(const struct ecl_model *m) {
    struct fb_buf b = {m->buf, m->len};
    return b;
}

/* Reads tensor i completely and checks it: 1 ok, 0 malformed. */
int ecl_tfl_read_tensor(const struct ecl_model *m, int32_t i, struct tfl_tensor *t) {
    struct fb_buf b = mbuf(m);
    struct fb_vec tv = {m->tensors, m->n_tensors}, v;
    struct fb_table tt, qt, bt;
    memset(t, 0, sizeof *t);
    t->info.producer = -1;
    if (i < 0 || (uint32_t)i >= m->n_tensors || !fb_vec_table(&b, &tv, (uint32_t)i, &tt)) return 0;
    if (fb_vector(&b, &tt, TEN_SHAPE, 4, &v) < 0 || v.len > ECL_MAX_DIMS) return 0;
    t->info.ndims = (int32_t)v.len;
    uint64_t count = 1;
    for (uint32_t k = 0; k < v.len; k++) {
        int32_t d = fb_vec_i32(&b, &v, k);
        if (d < 0 || d > (1 << 24)) return 0;
        t->info.dims[k] = d;
        count *= (uint64_t)d;
        if (count > (1ull << 31)) return 0;
    }
    uint8_t type;
    if (!fb_u8(&b, &tt, TEN_TYPE, 0, &type)) return 0;
    t->info.type = type;
    size_t es = ecl_tfl_dtype_size(type);
    if (!es || count * es > (1ull << 31)) return 0;
    uint32_t bi;
    if (!fb_u32(&b, &tt, TEN_BUFFER, 0, &bi) || bi >= (m->n_buffers ? m->n_buffers : 1)) return 0;
    const char *name = "";
    if (fb_string(&b, &tt, TEN_NAME, &name, NULL) < 0) return 0;
    t->info.name = name;
    int r = fb_subtable(&b, &tt, TEN_QUANT, &qt);
    if (r < 0) return 0;
    if (r) {
        if (fb_vector(&b, &qt, Q_SCALE, 4, &t->scales) < 0) return 0;
        if (fb_vector(&b, &qt, Q_ZERO, 8, &t->zps) < 0) return 0;
        if (!fb_i32(&b, &qt, Q_DIM, 0, &t->info.quant_dim)) return 0;
        /* zero points: none, one, or one per scale */
        if (t->zps.len > 1 && t->zps.len != t->scales.len) return 0;
        if (t->scales.len) {
            t->info.n_scales = (int32_t)t->scales.len;
            t->info.scale = fb_vec_f32(&b, &t->scales, 0);
            for (uint32_t k = 0; k < t->scales.len; k++) {
                float s = fb_vec_f32(&b, &t->scales, k);
                if (!(s > 0.0f) || s > 1e30f) return 0; /* also rejects NaN */
            }
            for (uint32_t k = 0; k < t->zps.len; k++) {
                int64_t z = fb_vec_i64(&b, &t->zps, k);
                if (z < -32768 || z > 65535) return 0;
            }
            t->info.zero_point = t->zps.len ? (int32_t)fb_vec_i64(&b, &t->zps, 0) : 0;
            if (t->scales.len > 1 && (t->info.quant_dim < 0 || t->info.quant_dim >= t->info.ndims ||
                                      (uint32_t)t->info.dims[t->info.quant_dim] != t->scales.len))
                return 0;
        }
    }
    if (bi && m->n_buffers) {
        struct fb_vec bv = {m->buffers, m->n_buffers};
        if (!fb_vec_table(&b, &bv, bi, &bt)) return 0;
        struct fb_vec data;
        if (fb_vector(&b, &bt, BUF_DATA, 1, &data) < 0) return 0;
        if (data.len) {
            t->data = b.p + data.pos;
            t->data_len = data.len;
        } else {
            uint64_t off, size;
            if (!fb_u64(&b, &bt, BUF_OFFSET, 0, &off) || !fb_u64(&b, &bt, BUF_SIZE, 0, &size))
                return 0;
            if (off > 1 && size) {
                if (off > b.n || size > b.n - off) return 0;
                t->data = b.p + off;
                t->data_len = (size_t)size;
            }
        }
        if (t->data && t->data_len != count * es) return 0;
        t->info.is_const = t->data != NULL;
    }
    return 1;
}

int ecl_tfl_read_op(const struct ecl_model *m, int32_t i, struct tfl_op *op) {
    struct fb_buf b = mbuf(m);
    struct fb_vec ov = {m->ops, m->n_ops}, cv = {m->opcodes, m->n_opcodes};
    struct fb_table ot, ct;
    memset(op, 0, sizeof *op);
    if (i < 0 || (uint32_t)i >= m->n_ops || !fb_vec_table(&b, &ov, (uint32_t)i, &ot)) return 0;
    uint32_t oc;
    if (!fb_u32(&b, &ot, OP_OPCODE, 0, &oc) || oc >= m->n_opcodes) return 0;
    if (!fb_vec_table(&b, &cv, oc, &ct)) return 0;
    /* builtin_code (int32) superseded deprecated_builtin_code (int8) at 127: use the larger. */
    uint8_t dep;
    int32_t code;
    if (!fb_u8(&b, &ct, OPC_DEPRECATED, 0, &dep) || !fb_i32(&b, &ct, OPC_BUILTIN, 0, &code))
        return 0;
    op->builtin = code > (int32_t)(int8_t)dep ? code : (int32_t)(int8_t)dep;
    if (op->builtin < 0) return 0;
    if (fb_string(&b, &ct, OPC_CUSTOM, &op->custom, NULL) < 0) return 0;
    if (fb_vector(&b, &ot, OP_INPUTS, 4, &op->inputs) < 0) return 0;
    if (fb_vector(&b, &ot, OP_OUTPUTS, 4, &op->outputs) < 0) return 0;
    for (uint32_t k = 0; k < op->inputs.len; k++) {
        int32_t t = fb_vec_i32(&b, &op->inputs, k);
        if (t < -1 || t >= (int32_t)m->n_tensors) return 0;
    }
    for (uint32_t k = 0; k < op->outputs.len; k++) {
        int32_t t = fb_vec_i32(&b, &op->outputs, k);
        if (t < 0 || t >= (int32_t)m->n_tensors) return 0;
    }
    if (!fb_u8(&b, &ot, OP_OPT_TYPE, 0, &op->opt_type)) return 0;
    int r = fb_subtable(&b, &ot, OP_OPTIONS, &op->opts);
    if (r < 0) return 0;
    op->has_opts = r;
    return 1;
}

/* ------------------------------------------------------------------ parse */
static enum ecl_status fail(struct msg *e, enum ecl_status st, const char *what, int64_t idx) {
    ecl_msg_str(e, what);
    if (idx >= 0) ecl_msg_int(e, idx);
    return st;
}

/* Truncation diagnosis. The checked readers above only say "bad reference"; when parsing fails
 * we look again, without the bounds checks on lengths, at where the failing record's pieces
 * would end. A piece ending past the end of the buffer means the file was cut short (a partial
 * download or copy), which deserves its own message and ECL_ETRUNCATED. */
static uint64_t max_u64(uint64_t a, uint64_t b) {
    return a > b ? a : b;
}
/* End of what the uoffset at pos refers to: a table (elem 0: its first 4 bytes) or a vector
 * of elem-byte elements (its length word and elements). 0 if pos itself is unreadable. */
static uint64_t table_need(const struct fb_buf *b, uint64_t pos) {
    if (pos + 4 > b->n) return pos + 4;
    int32_t so;
    memcpy(&so, b->p + pos, 4);
    int64_t vt = (int64_t)pos - so;
    if (vt < 0) return 0;
    if ((uint64_t)vt + 4 > b->n) return (uint64_t)vt + 4;
    uint16_t vlen = fb_rd_u16(b, (size_t)vt), tlen = fb_rd_u16(b, (size_t)vt + 2);
    return max_u64((uint64_t)vt + vlen, pos + tlen);
}
static uint64_t ref_end(const struct fb_buf *b, size_t pos, size_t elem) {
    if (!fb_in(b, pos, 4)) return (uint64_t)pos + 4;
    uint64_t target = (uint64_t)pos + fb_rd_u32(b, pos);
    if (!elem) return table_need(b, target);
    if (target + 4 > b->n) return target + 4;
    return target + 4 + (uint64_t)fb_rd_u32(b, (size_t)target) * elem;
}
static uint64_t field_end(const struct fb_buf *b, const struct fb_table *t, uint32_t idx,
                          size_t elem) {
    size_t pos;
    return fb_field(b, t, idx, 4, &pos) == 1 ? ref_end(b, pos, elem) : 0;
}
/* Furthest byte the table referenced at pos (and its vectors in fields[]) would need. */
static uint64_t table_end(const struct fb_buf *b, size_t pos, const uint32_t *fields,
                          const size_t *elems, int nf, struct fb_table *t) {
    uint64_t end = ref_end(b, pos, 0);
    if (end > b->n) return end;
    if (!fb_table_at(b, pos + fb_rd_u32(b, pos), t)) return 0;
    end = 0;
    for (int k = 0; k < nf; k++)
        end = max_u64(end, field_end(b, t, fields[k], elems[k]));
    return end;
}
/* Bytes tensor i needs (its record, shape, name, and its buffer's data); 0 if unknown. */
static uint64_t tensor_end(const struct ecl_model *m, uint32_t i, int *data) {
    struct fb_buf b = mbuf(m);
    struct fb_table tt, bt;
    static const uint32_t tf[] = {TEN_SHAPE, TEN_NAME};
    static const size_t te[] = {4, 1};
    *data = 0;
    uint64_t end = table_end(&b, m->tensors + 4 * (size_t)i, tf, te, 2, &tt);
    if (end > b.n ||
        !fb_table_at(&b, m->tensors + 4 * (size_t)i + fb_rd_u32(&b, m->tensors + 4 * (size_t)i),
                     &tt))
        return end;
    uint32_t bi;
    if (!fb_u32(&b, &tt, TEN_BUFFER, 0, &bi) || !bi || bi >= m->n_buffers) return end;
    static const uint32_t bf[] = {BUF_DATA};
    static const size_t be[] = {1};
    uint64_t d = table_end(&b, m->buffers + 4 * (size_t)bi, bf, be, 1, &bt);
    if (d <= b.n &&
        fb_table_at(&b, m->buffers + 4 * (size_t)bi + fb_rd_u32(&b, m->buffers + 4 * (size_t)bi),
                    &bt)) {
        uint64_t off, size;
        if (fb_u64(&b, &bt, BUF_OFFSET, 0, &off) && fb_u64(&b, &bt, BUF_SIZE, 0, &size) &&
            off > 1 && size && off + size >= off)
            d = max_u64(d, off + size);
    }
    if (d > b.n) *data = 1;
    return max_u64(end, d);
}

static enum ecl_status truncated(struct msg *e, const char *what, int64_t idx, const char *tail,
                                 uint64_t need, size_t len) {
    ecl_msg_str(e, "file truncated: ");
    ecl_msg_str(e, what);
    if (idx >= 0) ecl_msg_int(e, idx);
    ecl_msg_str(e, tail);
    ecl_msg_str(e, " extends past the end of the file (needs at least ");
    ecl_msg_int(e, (int64_t)need);
    ecl_msg_str(e, " bytes, the file has ");
    ecl_msg_int(e, (int64_t)len);
    ecl_msg_str(e, ")");
    return ECL_ETRUNCATED;
}

enum ecl_status ecl_model_parse(const void *buf, size_t len, struct ecl_model *m, char *err,
                                size_t errlen) {
    struct msg e;
    ecl_msg_init(&e, err, errlen);
    if (!buf || !m) return fail(&e, ECL_EINVAL, "NULL argument", -1);
    memset(m, 0, sizeof *m);
    if (len < 8) return fail(&e, ECL_ETRUNCATED, "file too short for a .tflite model", -1);
    if (memcmp((const uint8_t *)buf + 4, "TFL3", 4))
        return fail(&e, ECL_EFORMAT, "not a TFLite model (file identifier is not TFL3)", -1);
    if (len > 0x7fffffffu) return fail(&e, ECL_ERANGE, "model larger than 2 GiB", -1);
    struct fb_buf b = {buf, len};
    struct fb_table root, sg;
    struct fb_vec v;
    size_t rpos;
    if (!fb_deref(&b, 0, &rpos) || !fb_table_at(&b, rpos, &root)) {
        if (ref_end(&b, 0, 0) > len)
            return truncated(&e, "the model table", -1, "", ref_end(&b, 0, 0), len);
        return fail(&e, ECL_EFORMAT, "bad root table offset", -1);
    }
    uint32_t version;
    if (!fb_u32(&b, &root, MODEL_VERSION, 0, &version))
        return fail(&e, ECL_EFORMAT, "bad model version field", -1);
    if (version != 3) {
        ecl_msg_str(&e, "unsupported schema version ");
        ecl_msg_int(&e, version);
        return ECL_EVERSION;
    }
    m->buf = buf;
    m->len = len;
    if (fb_vector(&b, &root, MODEL_OPCODES, 4, &v) < 0) {
        uint64_t need = field_end(&b, &root, MODEL_OPCODES, 4);
        if (need > len) return truncated(&e, "the operator_codes vector", -1, "", need, len);
        return fail(&e, ECL_EFORMAT, "bad operator_codes vector", -1);
    }
    m->opcodes = v.pos;
    m->n_opcodes = v.len;
    if (fb_vector(&b, &root, MODEL_BUFFERS, 4, &v) < 0) {
        uint64_t need = field_end(&b, &root, MODEL_BUFFERS, 4);
        if (need > len) return truncated(&e, "the buffers vector", -1, "", need, len);
        return fail(&e, ECL_EFORMAT, "bad buffers vector", -1);
    }
    m->buffers = v.pos;
    m->n_buffers = v.len;
    if (fb_vector(&b, &root, MODEL_SUBGRAPHS, 4, &v) <= 0 || v.len < 1)
        return fail(&e, ECL_EFORMAT, "model has no subgraph", -1);
    if (!fb_vec_table(&b, &v, 0, &sg)) return fail(&e, ECL_EFORMAT, "bad subgraph table", -1);
    if (fb_vector(&b, &sg, SG_TENSORS, 4, &v) < 0) {
        uint64_t need = field_end(&b, &sg, SG_TENSORS, 4);
        if (need > len) return truncated(&e, "the tensors vector", -1, "", need, len);
        return fail(&e, ECL_EFORMAT, "bad tensors vector", -1);
    }
    if (v.len > ECL_MODEL_MAX_TENSORS) return fail(&e, ECL_ERANGE, "too many tensors: ", v.len);
    m->tensors = v.pos;
    m->n_tensors = v.len;
    if (fb_vector(&b, &sg, SG_OPERATORS, 4, &v) < 0) {
        uint64_t need = field_end(&b, &sg, SG_OPERATORS, 4);
        if (need > len) return truncated(&e, "the operators vector", -1, "", need, len);
        return fail(&e, ECL_EFORMAT, "bad operators vector", -1);
    }
    if (v.len > ECL_MODEL_MAX_OPS) return fail(&e, ECL_ERANGE, "too many operators: ", v.len);
    m->ops = v.pos;
    m->n_ops = v.len;
    if (fb_vector(&b, &sg, SG_INPUTS, 4, &v) < 0)
        return fail(&e, ECL_EFORMAT, "bad subgraph inputs", -1);
    m->sg_inputs = v.pos;
    m->n_sg_inputs = v.len;
    for (uint32_t k = 0; k < v.len; k++) {
        int32_t t = fb_vec_i32(&b, &v, k);
        if (t < 0 || t >= (int32_t)m->n_tensors)
            return fail(&e, ECL_EFORMAT, "subgraph input index out of range: ", t);
    }
    if (fb_vector(&b, &sg, SG_OUTPUTS, 4, &v) < 0)
        return fail(&e, ECL_EFORMAT, "bad subgraph outputs", -1);
    m->sg_outputs = v.pos;
    m->n_sg_outputs = v.len;
    for (uint32_t k = 0; k < v.len; k++) {
        int32_t t = fb_vec_i32(&b, &v, k);
        if (t < 0 || t >= (int32_t)m->n_tensors)
            return fail(&e, ECL_EFORMAT, "subgraph output index out of range: ", t);
    }
    struct tfl_tensor tt;
    for (uint32_t i = 0; i < m->n_tensors; i++)
        if (!ecl_tfl_read_tensor(m, (int32_t)i, &tt)) {
            int data;
            uint64_t need = tensor_end(m, i, &data);
            memset(m, 0, sizeof *m);
            if (need > len)
                return truncated(&e, "tensor ", i, data ? "'s data" : "'s record", need, len);
            return fail(&e, ECL_EFORMAT, "malformed tensor ", i);
        }
    struct tfl_op op;
    for (uint32_t i = 0; i < m->n_ops; i++)
        if (!ecl_tfl_read_op(m, (int32_t)i, &op)) {
            /* its input and output vectors and its options table (elem 0: a table) */
            static const uint32_t of[] = {OP_INPUTS, OP_OUTPUTS, OP_OPTIONS};
            static const size_t oe[] = {4, 4, 0};
            struct fb_table ot;
            uint64_t need = table_end(&b, m->ops + 4 * (size_t)i, of, oe, 3, &ot);
            for (uint32_t c = 0; c < m->n_opcodes; c++) /* and the operator code tables */
                need = max_u64(need, ref_end(&b, m->opcodes + 4 * (size_t)c, 0));
            memset(m, 0, sizeof *m);
            if (need > len) return truncated(&e, "operator ", i, "", need, len);
            return fail(&e, ECL_EFORMAT, "malformed operator ", i);
        }
    return ECL_OK;
}

uint32_t ecl_model_n_tensors(const struct ecl_model *m) {
    return m ? m->n_tensors : 0;
}

uint32_t ecl_model_n_ops(const struct ecl_model *m) {
    return m ? m->n_ops : 0;
}

enum ecl_status ecl_model_tensor_info(const struct ecl_model *m, int32_t index,
                                      struct ecl_tensor_info *ti) {
    struct tfl_tensor t;
    if (!m || !ti || !m->buf) return ECL_EINVAL;
    if (index < 0 || (uint32_t)index >= m->n_tensors) return ECL_ENOTFOUND;
    if (!ecl_tfl_read_tensor(m, index, &t)) return ECL_EFORMAT;
    struct fb_buf b = mbuf(m);
    struct tfl_op op;
    for (uint32_t i = 0; i < m->n_ops && t.info.producer < 0; i++) {
        if (!ecl_tfl_read_op(m, (int32_t)i, &op)) return ECL_EFORMAT;
        for (uint32_t k = 0; k < op.outputs.len; k++)
            if (fb_vec_i32(&b, &op.outputs, k) == index) t.info.producer = (int32_t)i;
    }
    *ti = t.info;
    return ECL_OK;
}

enum ecl_status ecl_model_op_info(const struct ecl_model *m, int32_t index,
                                  struct ecl_op_info *oi) {
    struct tfl_op op;
    if (!m || !oi || !m->buf) return ECL_EINVAL;
    if (index < 0 || (uint32_t)index >= m->n_ops) return ECL_ENOTFOUND;
    if (!ecl_tfl_read_op(m, index, &op)) return ECL_EFORMAT;
    struct fb_buf b = mbuf(m);
    memset(oi, 0, sizeof *oi);
    oi->builtin = op.builtin;
    oi->name = op.builtin == ECL_OP_CUSTOM && op.custom ? op.custom : ecl_builtin_name(op.builtin);
    oi->n_inputs = (int32_t)op.inputs.len;
    oi->n_outputs = (int32_t)op.outputs.len;
    for (uint32_t k = 0; k < op.inputs.len && k < ECL_MAX_OP_INPUTS; k++)
        oi->inputs[k] = fb_vec_i32(&b, &op.inputs, k);
    for (uint32_t k = 0; k < op.outputs.len && k < 4; k++)
        oi->outputs[k] = fb_vec_i32(&b, &op.outputs, k);
    oi->supported = ecl_builtin_supported(op.builtin);
    return ECL_OK;
}

enum ecl_status ecl_model_find_tensor(const struct ecl_model *m, const char *name, int32_t *index) {
    struct tfl_tensor t;
    if (!m || !name || !index || !m->buf) return ECL_EINVAL;
    for (uint32_t i = 0; i < m->n_tensors; i++) {
        if (!ecl_tfl_read_tensor(m, (int32_t)i, &t)) return ECL_EFORMAT;
        if (!strcmp(t.info.name, name)) {
            *index = (int32_t)i;
            return ECL_OK;
        }
    }
    return ECL_ENOTFOUND;
}

int32_t ecl_model_n_inputs(const struct ecl_model *m) {
    return m ? (int32_t)m->n_sg_inputs : 0;
}

int32_t ecl_model_n_outputs(const struct ecl_model *m) {
    return m ? (int32_t)m->n_sg_outputs : 0;
}

int32_t ecl_model_input_at(const struct ecl_model *m, int32_t i) {
    if (!m || i < 0 || (uint32_t)i >= m->n_sg_inputs) return -1;
    struct fb_buf b = mbuf(m);
    struct fb_vec v = {m->sg_inputs, m->n_sg_inputs};
    return fb_vec_i32(&b, &v, (uint32_t)i);
}

int32_t ecl_model_output_at(const struct ecl_model *m, int32_t i) {
    if (!m || i < 0 || (uint32_t)i >= m->n_sg_outputs) return -1;
    struct fb_buf b = mbuf(m);
    struct fb_vec v = {m->sg_outputs, m->n_sg_outputs};
    return fb_vec_i32(&b, &v, (uint32_t)i);
}

int32_t ecl_model_input(const struct ecl_model *m) {
    return ecl_model_input_at(m, 0);
}

int32_t ecl_model_output(const struct ecl_model *m) {
    return ecl_model_output_at(m, 0);
}

int ecl_builtin_supported(int32_t code) {
    return ecl_op_lookup(code) != NULL;
}

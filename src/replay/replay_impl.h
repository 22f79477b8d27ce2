/* src/replay/replay_impl.h - replay memory internals, shared with the state serialiser. */
#ifndef EDGECL_REPLAY_IMPL_H
#define EDGECL_REPLAY_IMPL_H

#include "edgecl/replay.h"

struct ecl_replay {
    struct ecl_replay_params p;
    uint32_t size;    /* stored samples, <= capacity */
    uint32_t next;    /* FIFO: slot written next */
    uint64_t rng;     /* PRNG state */
    uint64_t n_added; /* samples offered to add_batch in total */
    int32_t *label;   /* capacity */
    float *xf;        /* F32: capacity x dim */
    uint8_t *xq;      /* U8: capacity x dim */
    float *scale;     /* U8: capacity */
    float *offset;    /* U8: capacity */
    uint64_t *seen;   /* per class, samples offered; max_classes */
    uint32_t *count;  /* per class, samples stored; max_classes */
    uint32_t *idx;    /* scratch permutation, capacity (sampling, replacement) */
};

/* Store x (dim floats) with label y into slot s (quantising if U8). */
void ecl_replay_put_(struct ecl_replay *r, uint32_t s, const float *x, int32_t y);

#endif

/* edgecl/head.h - trainable classification head on latent vectors.
 *
 * Model: x (dim) -> [Dense(hidden[i]) -> ReLU]* -> Dense(n_classes) -> softmax.
 * Loss:  mean over the batch of -log softmax(z)[y]  +  0.5 * l2 * sum(W^2) (+ biases if l2_bias).
 * Optim: SGD (optional momentum) or Adam (beta1, beta2, eps), step on a mini-batch.
 *
 * Classes can be added at any time (up to max_classes): the output layer is allocated for
 * max_classes rows, only the first n_classes take part in softmax, and a new row starts from
 * a fresh initialisation while old rows keep their weights.
 *
 *     struct ecl_head_params p = ecl_head_default_params(1280, 50);
 *     p.hidden[0] = 128; p.n_hidden = 1; p.lr = 1e-3f;
 *     size_t need; ecl_head_mem_size(&p, &need);
 *     void *mem = malloc(need);               // the caller owns all memory
 *     struct ecl_head *h; ecl_head_init(&p, mem, need, &h);
 *     ecl_head_set_n_classes(h, 2);
 *     float loss; ecl_head_train_batch(h, x, y, n, &loss);
 *     ecl_head_predict(h, x0, probs);
 */
#ifndef EDGECL_HEAD_H
#define EDGECL_HEAD_H

#include <stddef.h>
#include <stdint.h>
#include "edgecl/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ECL_HEAD_MAX_HIDDEN 4

enum ecl_optimizer { ECL_OPT_SGD = 0, ECL_OPT_ADAM = 1 };

struct ecl_head_params {
    uint32_t dim;                         /* input (latent) size */
    uint32_t max_classes;                 /* output rows reserved */
    uint32_t n_hidden;                    /* number of hidden layers, 0..ECL_HEAD_MAX_HIDDEN */
    uint32_t hidden[ECL_HEAD_MAX_HIDDEN]; /* hidden sizes */
    uint32_t max_batch;                   /* largest mini-batch train_batch accepts */
    enum ecl_optimizer optimizer;
    float lr;                /* learning rate */
    float momentum;          /* SGD momentum, 0 = plain SGD */
    float beta1, beta2, eps; /* Adam */
    float l2;                /* L2 coefficient on weights */
    int l2_bias;             /* also apply L2 to biases */
    uint32_t seed;           /* weight init (He-uniform) */
};

struct ecl_head;

struct ecl_head_params ecl_head_default_params(uint32_t dim, uint32_t max_classes);
enum ecl_status ecl_head_mem_size(const struct ecl_head_params *p, size_t *bytes);
enum ecl_status ecl_head_init(const struct ecl_head_params *p, void *mem, size_t bytes,
                              struct ecl_head **out);
enum ecl_status ecl_head_set_n_classes(struct ecl_head *h, uint32_t n_classes);
uint32_t ecl_head_n_classes(const struct ecl_head *h);
/* One optimiser step on a mini-batch (n <= max_batch); loss is the mean loss before the step. */
enum ecl_status ecl_head_train_batch(struct ecl_head *h, const float *x, const int32_t *y,
                                     uint32_t n, float *loss);
/* probs: n_classes softmax outputs for one latent vector. */
enum ecl_status ecl_head_predict(struct ecl_head *h, const float *x, float *probs);
/* Loss and gradients without a step (used by gradient checks); grads stay inside the head. */
enum ecl_status ecl_head_loss_grad(struct ecl_head *h, const float *x, const int32_t *y, uint32_t n,
                                   float *loss);
/* Access to parameters for tests/serialisation: tensor i (0..n_params-1), weights then bias
 * per layer. grad may be NULL; it holds the gradients of the last ecl_head_loss_grad (after
 * ecl_head_train_batch the first layer's weight gradient is unspecified: the step is fused
 * into its computation and it is not stored). */
uint32_t ecl_head_n_param_tensors(const struct ecl_head *h);
enum ecl_status ecl_head_param(struct ecl_head *h, uint32_t i, float **value, float **grad,
                               size_t *count);
void ecl_head_set_lr(struct ecl_head *h, float lr);

#ifdef __cplusplus
}
#endif
#endif

// sn2engine: a CPU inference engine for ShuffleNet V2 (and V1).
//
// ## Overview
// A *model* is built once (from a built-in architecture, later from ONNX), compiled into a plan,
// and is then immutable: share it freely between threads. A *session* owns the activation arena,
// a thread pool and the per-op state; it runs the model. Use one session per thread.
//
//   sn2_model_t model = NULL;
//   sn2_session_t session = NULL;
//   struct sn2_options options = {0};              // zero value = defaults
//   if (sn2_model_create_builtin("shufflenet_v2_x1_0", &options, &model) != sn2_status_success) {
//     fprintf(stderr, "%s\n", sn2_last_error());
//   }
//   sn2_session_create(model, 1, &session);         // 1 thread
//   static float input[1 * 3 * 224 * 224], logits[1000];  // NCHW, caller-owned
//   sn2_session_run(session, input, sizeof input / sizeof *input, logits, 1000, 0);
//   sn2_session_delete(session);
//   sn2_model_delete(model);
//
// ## Errors
// Every fallible call returns an enum sn2_status (success = 0). A failed call also records a
// one-line message naming the node, value or rule at fault; sn2_last_error() returns it for the
// calling thread. The library never aborts or exits, whatever it is given.
//
// ## Memory
// sn2_session_run allocates nothing: all memory is taken when the model and session are created.
#ifndef SN2_H
#define SN2_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SN2_SHARED_BUILD) && defined(__GNUC__)
#define SN2_API __attribute__((visibility("default")))
#else
#define SN2_API
#endif

enum sn2_status {
  sn2_status_success = 0,
  sn2_status_invalid_parameter = 1,      // a null handle or pointer, a wrong size, a bad option
  sn2_status_unsupported_parameter = 2,  // well-formed, but not something sn2 implements
  sn2_status_unsupported_hardware = 3,   // e.g. an ISA forced that this CPU or build lacks
  sn2_status_out_of_memory = 4,
  sn2_status_invalid_state = 5,          // e.g. the library could not initialise a dependency
  sn2_status_invalid_model = 6,          // the model itself is malformed
  sn2_status_io_error = 7,               // a file could not be read
};

/// A short constant name for a status ("success", "invalid parameter", ...). Never NULL.
SN2_API const char* sn2_status_string(enum sn2_status status);

/// The message of the last failed call on the calling thread ("" if none): one line, control
/// characters in a model's names shown as '?'. The pointer stays valid until the next sn2 call
/// on this thread.
SN2_API const char* sn2_last_error(void);

/// Instruction-set paths. sn2_isa_auto picks the best the CPU supports; on a CPU with none of
/// the SIMD paths that is XNNPACK's operators (its own SSE kernels) with sn2's scalar kernels
/// where a 1x1 conv reads or writes a channel view. Forcing a path the CPU or this build cannot
/// run fails with sn2_status_unsupported_hardware. sn2_isa_scalar asked for (or
/// SN2_FORCE_ISA=scalar) runs portable C only, no XNNPACK: sn2's scalar kernels for depthwise
/// 3x3, 1x1 (grouped too) and dense convs and 3x3 stride-2 max pools, and the reference kernels
/// for every other op.
enum sn2_isa {
  sn2_isa_auto = 0,
  sn2_isa_scalar = 1,
  sn2_isa_avx2 = 2,
  sn2_isa_avx512f = 3,
  sn2_isa_neon = 4,
};

/// Model flags (struct sn2_options.flags).
/// SN2_FLAG_REFERENCE: run every op on the reference kernels, the oracle the tests compare with.
/// SN2_FLAG_NO_GRAPH_PASSES: compile the graph as given (no folding, fusion or pattern
/// rewriting): an ablation switch for measuring what the compiler is worth.
/// SN2_FLAG_NO_CHANNEL_VIEWS: run channel split, concat and shuffle as copies instead of
/// zero-copy views (the other ablation switch).
/// SN2_FLAG_XNNPACK_ONLY: every op XNNPACK has an operator for runs on it, none on sn2's own
/// SIMD kernels; with SN2_FLAG_NO_CHANNEL_VIEWS this is the plain XNNPACK pipeline the
/// compiled plan is measured against.
#define SN2_FLAG_REFERENCE 0x1u
#define SN2_FLAG_NO_GRAPH_PASSES 0x2u
#define SN2_FLAG_NO_CHANNEL_VIEWS 0x4u
#define SN2_FLAG_XNNPACK_ONLY 0x8u

/// Options; the zero value means defaults everywhere. The model copies what it needs.
struct sn2_options {
  uint32_t threads;  // default threads for sessions (0 = 1)
  enum sn2_isa isa;  // 0 = auto; the environment variable SN2_FORCE_ISA=scalar|avx2|avx512f|neon
                     // overrides auto
  uint32_t flags;    // SN2_FLAG_*
  uint64_t seed;     // seed of a built-in model's random weights (0 is a valid seed)
};

typedef struct sn2_model* sn2_model_t;
typedef struct sn2_session* sn2_session_t;

/// Builds and compiles a built-in architecture with seeded random weights and BatchNorm
/// statistics: shufflenet_v2_x0_5, _x1_0, _x1_5, _x2_0 (torchvision layout) and
/// shufflenet_v1_g1, _g2, _g3, _g4, _g8 (1x). Input [1, 3, 224, 224], output [1, 1000] logits.
/// @param options may be NULL (defaults); not kept after return.
/// @param model_out receives the model; the caller deletes it with sn2_model_delete.
SN2_API enum sn2_status sn2_model_create_builtin(const char* name,
                                                 const struct sn2_options* options,
                                                 sn2_model_t* model_out);

/// Loads an ONNX model (opsets 9 to 18; the ops torch.onnx.export and tf2onnx emit for
/// ShuffleNet, and QDQ-quantized models, run in fp32) and compiles it for the shape in the file.
/// External data files are read relative to the model's directory.
/// @param options may be NULL (defaults); options->seed is ignored.
SN2_API enum sn2_status sn2_model_create_from_onnx_file(const char* path,
                                                        const struct sn2_options* options,
                                                        sn2_model_t* model_out);

/// The same from a serialized ModelProto in memory (`size` bytes; not kept after return).
/// Models with external data need the file form.
SN2_API enum sn2_status sn2_model_create_from_onnx_buffer(const void* data, size_t size,
                                                          const struct sn2_options* options,
                                                          sn2_model_t* model_out);

/// Names of the built-in architectures, NULL-terminated; static storage.
SN2_API const char* const* sn2_builtin_names(void);

/// Frees a model. Every session of it must be deleted first. NULL is accepted.
SN2_API void sn2_model_delete(sn2_model_t model);

/// Most dims a tensor has.
#define SN2_MAX_DIMS 6

/// The model's input and output shapes in ONNX order (images: N, C, H, W; logits: N, K).
/// dims receives *rank_out entries; the element count is their product.
SN2_API enum sn2_status sn2_model_get_input_shape(sn2_model_t model, uint32_t dims[SN2_MAX_DIMS],
                                                  uint32_t* rank_out);
SN2_API enum sn2_status sn2_model_get_output_shape(sn2_model_t model,
                                                   uint32_t dims[SN2_MAX_DIMS],
                                                   uint32_t* rank_out);

/// Totals of the compiled plan.
struct sn2_plan_stats {
  uint64_t macs;          // multiply-adds of conv and fully-connected ops
  uint64_t mac_bytes;     // memory access cost, paper's model: inputs + outputs + weights, bytes
  uint64_t copy_bytes;    // bytes moved by ops that only relocate data (split, concat, shuffle)
  uint64_t arena_bytes;   // one session's activation arena
  uint64_t arena_lower_bound_bytes;  // the most bytes alive at once: no plan can use less
  uint64_t weight_bytes;  // parameters held by the model
  uint32_t op_count;
};
SN2_API enum sn2_status sn2_model_get_stats(sn2_model_t model, struct sn2_plan_stats* stats_out);

/// One op of the compiled plan. Strings are owned by the model and live as long as it.
struct sn2_op_info {
  const char* name;    // node name, e.g. "stage2.0.branch2.conv1"
  const char* type;    // op type, e.g. "Conv", "ChannelShuffle"
  const char* kernel;  // what runs it, e.g. "xnnpack:convolution_nhwc_f32", "ref:conv2d"
  uint32_t input_rank, output_rank;
  uint32_t input_dims[SN2_MAX_DIMS];   // first input, ONNX order
  uint32_t output_dims[SN2_MAX_DIMS];  // first output, ONNX order
  uint64_t macs;
  uint64_t mac_bytes;
  uint64_t copy_bytes;
};
SN2_API enum sn2_status sn2_model_get_op_info(sn2_model_t model, uint32_t index,
                                              struct sn2_op_info* info_out);

/// Creates a session: allocates the arena and per-op state and starts `threads` worker threads
/// (0 = the model's default). The model must outlive the session.
SN2_API enum sn2_status sn2_session_create(sn2_model_t model, uint32_t threads,
                                           sn2_session_t* session_out);

/// Frees a session. NULL is accepted.
SN2_API void sn2_session_delete(sn2_session_t session);

/// Run flags. SN2_RUN_INPUT_NHWC: a rank-4 input is laid out N, H, W, C instead of N, C, H, W.
#define SN2_RUN_INPUT_NHWC 0x1u

/// Runs the model once. `input` holds input_count floats (must equal the input's element count),
/// `output` receives output_count floats (must equal the output's). Both are caller-owned and
/// only used during the call; `input` is only read (some plans read it in place instead of
/// copying it). Allocates nothing. Not thread-safe for one session.
SN2_API enum sn2_status sn2_session_run(sn2_session_t session, const float* input,
                                        size_t input_count, float* output, size_t output_count,
                                        uint32_t flags);

#ifdef __cplusplus
}  // extern "C"
#endif

#endif  // SN2_H

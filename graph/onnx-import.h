// ONNX import: parses a ModelProto (protobuf-c, schema from Debian's onnx.proto) and lowers it
// onto the graph IR. Integer and shape arithmetic is evaluated here, at import, since every shape
// is static; so are DequantizeLinear of constant weights and any other op whose inputs are all
// constants. A QuantizeLinear -> DequantizeLinear pair on an activation becomes the clamp to
// the range it can represent (fp32 execution of a QDQ model: the rounding is dropped, the
// saturation - which is how QDQ models encode ReLU - is kept).
#ifndef SN2_GRAPH_ONNX_IMPORT_H
#define SN2_GRAPH_ONNX_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

struct sn2_onnx_import_options {
  // Directory that external-data paths are relative to; NULL refuses external data.
  const char* model_dir;
  // Which graph output becomes the model output; NULL = the first.
  const char* output_name;
  // Graph inputs other than the first are bound to these tensors (the conformance runner
  // binds weights this way); NULL entries or a shorter list leave them unbound.
  const void* const* bound_inputs;          // serialized TensorProto each
  const size_t* bound_input_sizes;
  size_t bound_input_count;
};

// True if the importer knows this op type (of the default ONNX domain).
bool sn2_onnx_op_supported(const char* op_type);

enum sn2_status sn2_onnx_import(const uint8_t* data, size_t size,
                                const struct sn2_onnx_import_options* options,
                                struct sn2_graph** graph_out);

#ifdef __cplusplus
}
#endif

#endif  // SN2_GRAPH_ONNX_IMPORT_H

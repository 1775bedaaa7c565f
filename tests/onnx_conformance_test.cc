// ONNX's own backend node tests (Debian's libonnx-testdata): every test whose ops sn2 imports
// runs as one case. Inputs after the first are bound as constants (they are weights in these
// tests); each output is compiled and checked on its own, with ONNX's tolerances
// (rtol 1e-3, atol 1e-7). A case is skipped only when it is listed below with the reason; any
// other refusal is a failure.
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "engine/src/engine.h"
#include "graph/onnx-import.h"
#include "onnx.pb-c.h"
#include "test_util.h"

namespace {

const char* const kNodeTests = "/usr/share/libonnx-testdata/data/node";

// Features sn2 documents as unsupported (docs/onnx.md), by test: why each is skipped. Tests
// whose runtime input or outputs are not fp32 are skipped without a listing: sn2 computes in
// fp32 only (integer tensors exist at compile time, as constants).
const std::map<std::string, std::string> kUnsupported = {
    {"test_averagepool_1d_default", "1-D pooling (sn2 pools rank-4 N,C,H,W tensors)"},
    {"test_averagepool_3d_default", "3-D pooling"},
    {"test_maxpool_1d_default", "1-D pooling"},
    {"test_maxpool_3d_default", "3-D pooling"},
    {"test_maxpool_2d_dilations", "dilated pooling"},
    {"test_maxpool_with_argmax_2d_precomputed_pads", "the Indices output of MaxPool"},
    {"test_maxpool_with_argmax_2d_precomputed_strides", "the Indices output of MaxPool"},
    {"test_batchnorm_epsilon_training_mode", "BatchNormalization training mode"},
    {"test_batchnorm_example_training_mode", "BatchNormalization training mode"},
    {"test_training_dropout", "Dropout training mode (random masks)"},
    {"test_training_dropout_default", "Dropout training mode (random masks)"},
    {"test_training_dropout_default_mask", "Dropout training mode (random masks)"},
    {"test_training_dropout_mask", "Dropout training mode (random masks)"},
    {"test_training_dropout_zero_ratio", "Dropout training mode (random masks)"},
    {"test_training_dropout_zero_ratio_mask", "Dropout training mode (random masks)"},
    {"test_identity_sequence", "sequence types (sn2 runs tensors only)"},
    {"test_constant", "graphs without a runtime input (an sn2 model has one)"},
    {"test_split_zero_size_splits", "empty tensors"},
    {"test_slice_start_out_of_bounds", "empty tensors (the slice is empty)"},
    {"test_reshape_allowzero_reordered", "empty tensors"},
};

// The element type of a serialized TensorProto (0 if it does not parse).
int32_t ElementType(const std::string& bytes) {
  Onnx__TensorProto* t = onnx__tensor_proto__unpack(nullptr, bytes.size(),
                                                    reinterpret_cast<const uint8_t*>(bytes.data()));
  const int32_t type = t ? t->data_type : 0;
  if (t) onnx__tensor_proto__free_unpacked(t, nullptr);
  return type;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

bool IsDirectory(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (d) closedir(d);
  return d != nullptr;
}

// The node tests whose every node is an op sn2 imports.
std::vector<std::string> SupportedTests() {
  std::vector<std::string> names;
  DIR* dir = opendir(kNodeTests);
  if (!dir) return names;
  while (dirent* e = readdir(dir)) {
    const std::string name = e->d_name;
    if (name.rfind("test_", 0) != 0) continue;
    const std::string model = ReadFile(std::string(kNodeTests) + "/" + name + "/model.onnx");
    Onnx__ModelProto* m = onnx__model_proto__unpack(nullptr, model.size(),
                                                     reinterpret_cast<const uint8_t*>(model.data()));
    if (!m) continue;
    bool supported = m->graph && m->graph->n_node > 0;
    for (size_t k = 0; supported && k < m->graph->n_node; k++) {
      const Onnx__NodeProto* n = m->graph->node[k];
      supported = (!n->domain || !n->domain[0]) && sn2_onnx_op_supported(n->op_type);
    }
    onnx__model_proto__free_unpacked(m, nullptr);
    if (supported) names.push_back(name);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

// A TensorProto as floats (FLOAT only); false for other element types.
bool ReadFloats(const std::string& bytes, std::vector<float>* values, std::vector<int64_t>* dims,
                int32_t* dtype) {
  Onnx__TensorProto* t = onnx__tensor_proto__unpack(nullptr, bytes.size(),
                                                    reinterpret_cast<const uint8_t*>(bytes.data()));
  if (!t) return false;
  *dtype = t->data_type;
  dims->assign(t->dims, t->dims + t->n_dims);
  bool ok = t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  if (ok && t->has_raw_data) {
    values->resize(t->raw_data.len / sizeof(float));
    std::memcpy(values->data(), t->raw_data.data, values->size() * sizeof(float));
  } else if (ok) {
    values->assign(t->float_data, t->float_data + t->n_float_data);
  }
  onnx__tensor_proto__free_unpacked(t, nullptr);
  return ok;
}

class NodeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(NodeTest, MatchesOnnxOutputs) {
  const std::string name = GetParam();
  const auto skip = kUnsupported.find(name);
  if (skip != kUnsupported.end()) GTEST_SKIP() << "unsupported by design: " << skip->second;
  const std::string dir = std::string(kNodeTests) + "/" + name;
  const std::string model = ReadFile(dir + "/model.onnx");
  const std::string data = dir + "/test_data_set_0";
  ASSERT_TRUE(IsDirectory(data)) << data;
  std::vector<std::string> inputs, outputs;
  for (int k = 0;; k++) {
    std::string bytes = ReadFile(data + "/input_" + std::to_string(k) + ".pb");
    if (bytes.empty()) break;
    inputs.push_back(bytes);
  }
  for (int k = 0;; k++) {
    std::string bytes = ReadFile(data + "/output_" + std::to_string(k) + ".pb");
    if (bytes.empty()) break;
    outputs.push_back(bytes);
  }
  ASSERT_FALSE(inputs.empty());
  for (const std::string& t : {inputs[0]}) {
    if (ElementType(t) != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
      GTEST_SKIP() << "unsupported by design: the runtime input has element type "
                   << ElementType(t) << " (sn2 computes in fp32)";
    }
  }
  for (const std::string& t : outputs) {
    if (ElementType(t) != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
      GTEST_SKIP() << "unsupported by design: an output has element type " << ElementType(t)
                   << " (sn2 computes in fp32)";
    }
  }
  std::vector<float> x;
  std::vector<int64_t> x_dims;
  int32_t dtype = 0;
  ASSERT_TRUE(ReadFloats(inputs[0], &x, &x_dims, &dtype)) << "input 0 has element type " << dtype;

  // The graph outputs' names, in order.
  Onnx__ModelProto* m = onnx__model_proto__unpack(nullptr, model.size(),
                                                   reinterpret_cast<const uint8_t*>(model.data()));
  ASSERT_NE(m, nullptr);
  std::vector<std::string> output_names;
  for (size_t k = 0; k < m->graph->n_output; k++) output_names.push_back(m->graph->output[k]->name);
  onnx__model_proto__free_unpacked(m, nullptr);
  ASSERT_EQ(output_names.size(), outputs.size());

  std::vector<const void*> bound;
  std::vector<size_t> bound_sizes;
  for (size_t k = 1; k < inputs.size(); k++) {
    bound.push_back(inputs[k].data());
    bound_sizes.push_back(inputs[k].size());
  }
  for (size_t o = 0; o < outputs.size(); o++) {
    std::vector<float> expected;
    std::vector<int64_t> dims;
    ASSERT_TRUE(ReadFloats(outputs[o], &expected, &dims, &dtype))
        << "output " << o << " has element type " << dtype;
    sn2_onnx_import_options options{};
    options.output_name = output_names[o].c_str();
    options.bound_inputs = bound.data();
    options.bound_input_sizes = bound_sizes.data();
    options.bound_input_count = bound.size();
    sn2_graph* graph = nullptr;
    ASSERT_EQ(sn2_onnx_import(reinterpret_cast<const uint8_t*>(model.data()), model.size(),
                              &options, &graph),
              sn2_status_success)
        << sn2_last_error();
    sn2_model_t compiled = nullptr;
    ASSERT_EQ(sn2_model_create_from_graph(graph, nullptr, &compiled), sn2_status_success)
        << sn2_last_error();
    ModelPtr owner(compiled);
    std::vector<uint32_t> shape = OutputShape(compiled);
    std::vector<uint32_t> expected_shape(dims.begin(), dims.end());
    if (expected_shape.empty()) expected_shape = {1};  // sn2 keeps scalars as [1]
    EXPECT_EQ(shape, expected_shape) << "output " << o;
    ASSERT_EQ(Elements(shape), expected.size());
    const std::vector<float> got = RunModel(compiled, x);
    for (size_t i = 0; i < expected.size(); i++) {
      ASSERT_LE(std::fabs(got[i] - expected[i]), 1e-7 + 1e-3 * std::fabs(expected[i]))
          << "output " << o << " element " << i << ": " << got[i] << " vs " << expected[i];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Onnx, NodeTest, ::testing::ValuesIn(SupportedTests()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

TEST(NodeTests, TheDataIsThere) {
  ASSERT_TRUE(IsDirectory(kNodeTests)) << kNodeTests << " is missing: install libonnx-testdata "
                                       << "(scripts/install-deps.sh)";
  EXPECT_GT(SupportedTests().size(), 100u);
}

}  // namespace

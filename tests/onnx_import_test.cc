// ONNX import on models built here: the good forms load (typed fields, raw data, external
// data), and each bad one returns a status with a message naming the node, value or rule.
// Runs under valgrind in the suite (memcheck.onnx_import_test): no leak on any error path.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "graph/onnx-import.h"
#include "onnx.pb-c.h"
#include "test_util.h"

namespace {

// Owns the strings and messages of a ModelProto assembled with protobuf-c structs.
class ModelBuilder {
 public:
  ModelBuilder() {
    onnx__model_proto__init(&model_);
    onnx__graph_proto__init(&graph_);
    onnx__operator_set_id_proto__init(&opset_);
    opset_.has_version = 1;
    opset_.version = 13;
    opset_.domain = Str("");
    opsets_.push_back(&opset_);
    model_.n_opset_import = 1;
    model_.opset_import = opsets_.data();
    model_.has_ir_version = 1;
    model_.ir_version = 7;
    model_.graph = &graph_;
  }
  void Opset(int64_t v) { opset_.version = v; }

  void Input(const char* name, std::vector<int64_t> dims) { inputs_.push_back(ValueInfo(name, dims)); }
  void Output(const char* name) { outputs_.push_back(ValueInfo(name, {})); }

  Onnx__NodeProto* Node(const char* op, std::vector<const char*> in, std::vector<const char*> out,
                        const char* name = "n") {
    auto* n = New<Onnx__NodeProto>(onnx__node_proto__init);
    n->op_type = Str(op);
    n->name = Str(name);
    n->n_input = in.size();
    n->input = Strs(in);
    n->n_output = out.size();
    n->output = Strs(out);
    nodes_.push_back(n);
    return n;
  }

  void IntsAttr(Onnx__NodeProto* n, const char* name, std::vector<int64_t> v) {
    Onnx__AttributeProto* a = Attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = v.size();
    a->ints = Keep(v);
  }
  void IntAttr(Onnx__NodeProto* n, const char* name, int64_t v) {
    Onnx__AttributeProto* a = Attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
  }

  // An initializer of floats, in float_data or raw_data, or in an external file.
  Onnx__TensorProto* Initializer(const char* name, std::vector<int64_t> dims, std::vector<float> v,
                                 bool raw = false, const char* external = nullptr) {
    auto* t = New<Onnx__TensorProto>(onnx__tensor_proto__init);
    t->name = Str(name);
    t->has_data_type = 1;
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->n_dims = dims.size();
    t->dims = Keep(dims);
    if (external) {
      t->has_data_location = 1;
      t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
      auto* kv = New<Onnx__StringStringEntryProto>(onnx__string_string_entry_proto__init);
      kv->key = Str("location");
      kv->value = Str(external);
      kvs_.push_back(std::vector<Onnx__StringStringEntryProto*>{kv});
      t->n_external_data = 1;
      t->external_data = kvs_.back().data();
    } else if (raw) {
      t->has_raw_data = 1;
      t->raw_data.len = v.size() * sizeof(float);
      t->raw_data.data = reinterpret_cast<uint8_t*>(Keep(v));
    } else {
      t->n_float_data = v.size();
      t->float_data = Keep(v);
    }
    initializers_.push_back(t);
    return t;
  }

  std::string Bytes() {
    graph_.n_node = nodes_.size();
    graph_.node = nodes_.data();
    graph_.n_input = inputs_.size();
    graph_.input = inputs_.data();
    graph_.n_output = outputs_.size();
    graph_.output = outputs_.data();
    graph_.n_initializer = initializers_.size();
    graph_.initializer = initializers_.data();
    std::string bytes(onnx__model_proto__get_packed_size(&model_), '\0');
    onnx__model_proto__pack(&model_, reinterpret_cast<uint8_t*>(&bytes[0]));
    return bytes;
  }

 private:
  template <typename T>
  T* New(void (*init)(T*)) {
    auto block = std::make_shared<T>();
    init(block.get());
    keep_.push_back(block);
    return block.get();
  }
  // A new attribute appended to the node's list.
  Onnx__AttributeProto* Attr(Onnx__NodeProto* n, const char* name, Onnx__AttributeProto__AttributeType type) {
    auto* a = New<Onnx__AttributeProto>(onnx__attribute_proto__init);
    a->name = Str(name);
    a->has_type = 1;
    a->type = type;
    auto& list = attrs_[n];
    if (!list) list = std::make_shared<std::vector<Onnx__AttributeProto*>>();
    list->push_back(a);
    n->n_attribute = list->size();
    n->attribute = list->data();
    return a;
  }
  char* Str(const char* s) {
    strings_.push_back(std::make_shared<std::string>(s));
    return &(*strings_.back())[0];
  }
  char** Strs(const std::vector<const char*>& v) {
    lists_.push_back(std::make_shared<std::vector<char*>>());
    for (const char* s : v) lists_.back()->push_back(Str(s));
    return lists_.back()->data();
  }
  template <typename T>
  T* Keep(const std::vector<T>& v) {
    auto copy = std::make_shared<std::vector<T>>(v);
    keep_.push_back(copy);
    return copy->data();
  }
  Onnx__ValueInfoProto* ValueInfo(const char* name, const std::vector<int64_t>& dims) {
    auto* info = New<Onnx__ValueInfoProto>(onnx__value_info_proto__init);
    info->name = Str(name);
    auto* type = New<Onnx__TypeProto>(onnx__type_proto__init);
    auto* tensor = New<Onnx__TypeProto__Tensor>(onnx__type_proto__tensor__init);
    auto* shape = New<Onnx__TensorShapeProto>(onnx__tensor_shape_proto__init);
    dim_lists_.push_back({});
    for (int64_t d : dims) {
      auto* dim = New<Onnx__TensorShapeProto__Dimension>(onnx__tensor_shape_proto__dimension__init);
      dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      dim->dim_value = d;
      dim_lists_.back().push_back(dim);
    }
    shape->n_dim = dims.size();
    shape->dim = dim_lists_.back().data();
    tensor->has_elem_type = 1;
    tensor->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tensor->shape = dims.empty() ? nullptr : shape;
    type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type->tensor_type = tensor;
    info->type = type;
    return info;
  }

  Onnx__ModelProto model_;
  Onnx__GraphProto graph_;
  Onnx__OperatorSetIdProto opset_;
  std::vector<Onnx__OperatorSetIdProto*> opsets_;
  std::vector<Onnx__NodeProto*> nodes_;
  std::vector<Onnx__ValueInfoProto*> inputs_, outputs_;
  std::vector<Onnx__TensorProto*> initializers_;
  std::map<Onnx__NodeProto*, std::shared_ptr<std::vector<Onnx__AttributeProto*>>> attrs_;
  std::vector<std::vector<Onnx__StringStringEntryProto*>> kvs_;
  std::vector<std::vector<Onnx__TensorShapeProto__Dimension*>> dim_lists_;
  std::vector<std::shared_ptr<std::string>> strings_;
  std::vector<std::shared_ptr<std::vector<char*>>> lists_;
  std::vector<std::shared_ptr<void>> keep_;
};

// x [1, 2, 2, 2] + b (broadcast over channels), then Relu.
ModelBuilder AddRelu(bool raw = false, const char* external = nullptr) {
  ModelBuilder m;
  m.Input("x", {1, 2, 2, 2});
  m.Output("y");
  m.Initializer("b", {2, 1, 1}, {0.5f, -2.0f}, raw, external);
  m.Node("Add", {"x", "b"}, {"s"}, "add");
  m.Node("Relu", {"s"}, {"y"}, "relu");
  return m;
}

sn2_status Load(const std::string& bytes, sn2_model_t* model) {
  return sn2_model_create_from_onnx_buffer(bytes.data(), bytes.size(), nullptr, model);
}

void ExpectFailure(const std::string& bytes, sn2_status expected, std::vector<std::string> words) {
  sn2_model_t model = reinterpret_cast<sn2_model_t>(0x1);
  EXPECT_EQ(Load(bytes, &model), expected) << sn2_last_error();
  EXPECT_EQ(model, nullptr);
  const std::string message = sn2_last_error();
  for (const auto& w : words) EXPECT_NE(message.find(w), std::string::npos) << message;
}

std::vector<float> RunOnSample(sn2_model_t model) {
  std::vector<float> x = {1, -1, 2, -2, 3, -3, 4, -4};  // NCHW: channel 0 then channel 1
  return RunModel(model, x);
}

TEST(OnnxImport, TypedAndRawInitializersLoadAndRun) {
  for (bool raw : {false, true}) {
    sn2_model_t model = nullptr;
    ASSERT_EQ(Load(AddRelu(raw).Bytes(), &model), sn2_status_success) << sn2_last_error();
    ModelPtr owner(model);
    EXPECT_EQ(RunOnSample(model), (std::vector<float>{1.5f, 0, 2.5f, 0, 1, 0, 2, 0}));
  }
}

TEST(OnnxImport, ExternalDataFromTheModelsDirectory) {
  char dir[] = "/tmp/sn2-onnx-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string weights = std::string(dir) + "/weights.bin", path = std::string(dir) + "/m.onnx";
  const float b[2] = {0.5f, -2.0f};
  FILE* f = fopen(weights.c_str(), "wb");
  fwrite(b, sizeof b, 1, f);
  fclose(f);
  const std::string bytes = AddRelu(false, "weights.bin").Bytes();
  f = fopen(path.c_str(), "wb");
  fwrite(bytes.data(), 1, bytes.size(), f);
  fclose(f);
  sn2_model_t model = nullptr;
  ASSERT_EQ(sn2_model_create_from_onnx_file(path.c_str(), nullptr, &model), sn2_status_success)
      << sn2_last_error();
  EXPECT_EQ(RunOnSample(model), (std::vector<float>{1.5f, 0, 2.5f, 0, 1, 0, 2, 0}));
  sn2_model_delete(model);
  // From memory there is no directory to read it from.
  ExpectFailure(bytes, sn2_status_unsupported_parameter, {"b", "external data", "from a file"});
  // A location that leaves the model's directory is refused.
  const std::string escaping = AddRelu(false, "../weights.bin").Bytes();
  f = fopen(path.c_str(), "wb");
  fwrite(escaping.data(), 1, escaping.size(), f);
  fclose(f);
  EXPECT_EQ(sn2_model_create_from_onnx_file(path.c_str(), nullptr, &model), sn2_status_invalid_model);
  EXPECT_NE(std::string(sn2_last_error()).find("inside the model's directory"), std::string::npos);
  unlink(weights.c_str());
  unlink(path.c_str());
  rmdir(dir);
}

TEST(OnnxImport, TruncatedAndGarbageBytes) {
  const std::string good = AddRelu().Bytes();
  for (size_t cut : {size_t(1), good.size() / 2, good.size() - 1}) {
    ExpectFailure(good.substr(0, cut), sn2_status_invalid_model, {"do not parse"});
  }
  std::string garbage(64, '\xff');
  ExpectFailure(garbage, sn2_status_invalid_model, {"ModelProto"});
  ExpectFailure("", sn2_status_invalid_model, {});
}

TEST(OnnxImport, UnsupportedOpNamesTypeAndNode) {
  ModelBuilder m;
  m.Input("x", {1, 2});
  m.Output("y");
  m.Node("Frobnicate", {"x"}, {"y"}, "strange_node");
  ExpectFailure(m.Bytes(), sn2_status_unsupported_parameter, {"Frobnicate", "strange_node"});
}

// Names are the model's bytes: the message stays one line of printable characters.
TEST(OnnxImport, ControlCharactersInNamesStayOutOfTheMessage) {
  ModelBuilder m;
  m.Input("x", {1, 2});
  m.Output("y");
  m.Node("Frobnicate", {"x"}, {"y"}, "two\nlines\x1b[31m");
  ExpectFailure(m.Bytes(), sn2_status_unsupported_parameter, {"two?lines?[31m"});
  const std::string message = sn2_last_error();
  for (char c : message) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7f) << message;
}

TEST(OnnxImport, TensorBytesMustMatchShape) {
  ModelBuilder m = AddRelu();
  m.Initializer("bad", {2, 2}, {1, 2, 3}, /*raw=*/true);
  m.Node("Add", {"x", "bad"}, {"unused"}, "uses_bad");
  ExpectFailure(m.Bytes(), sn2_status_invalid_model, {"bad", "12 bytes", "4 elements"});
  ModelBuilder typed = AddRelu();
  typed.Initializer("short", {3}, {1, 2});
  ExpectFailure(typed.Bytes(), sn2_status_invalid_model, {"short", "2 values", "3 elements"});
}

TEST(OnnxImport, MissingInputAndCycle) {
  ModelBuilder missing;
  missing.Input("x", {1, 2});
  missing.Output("y");
  missing.Node("Add", {"x", "nowhere"}, {"y"}, "adder");
  ExpectFailure(missing.Bytes(), sn2_status_invalid_model, {"nowhere", "not defined"});

  ModelBuilder cycle;
  cycle.Input("x", {1, 2});
  cycle.Output("b");
  cycle.Node("Add", {"x", "b"}, {"a"}, "first");
  cycle.Node("Relu", {"a"}, {"b"}, "second");
  ExpectFailure(cycle.Bytes(), sn2_status_invalid_model, {"cycle"});
}

TEST(OnnxImport, ShapesThatDoNotAgree) {
  ModelBuilder m;
  m.Input("x", {1, 2, 2, 2});
  m.Output("y");
  m.Initializer("b", {3}, {1, 2, 3});
  m.Node("Add", {"x", "b"}, {"y"}, "mismatch");
  ExpectFailure(m.Bytes(), sn2_status_invalid_model, {"mismatch", "broadcast"});

  ModelBuilder conv;
  conv.Input("x", {1, 3, 4, 4});
  conv.Output("y");
  conv.Initializer("w", {4, 2, 1, 1}, std::vector<float>(8, 1.0f));
  conv.Node("Conv", {"x", "w"}, {"y"}, "conv0");
  ExpectFailure(conv.Bytes(), sn2_status_invalid_model, {"conv0", "3 channels"});
}

TEST(OnnxImport, DimsThatWouldOverflow) {
  ModelBuilder m = AddRelu();
  m.Initializer("huge", {INT64_C(1) << 31, INT64_C(1) << 31}, {});
  ExpectFailure(m.Bytes(), sn2_status_invalid_model, {"huge"});
  ModelBuilder input;
  input.Input("x", {1 << 20, 1 << 20, 1 << 20});
  input.Output("y");
  input.Node("Relu", {"x"}, {"y"});
  ExpectFailure(input.Bytes(), sn2_status_unsupported_parameter, {"2^31"});
}

TEST(OnnxImport, OpsetsOutOfRange) {
  ModelBuilder m = AddRelu();
  m.Opset(30);
  ExpectFailure(m.Bytes(), sn2_status_unsupported_parameter, {"opset 30"});
}

// A rank-5 value read by a node whose output is a feature map: the planner's check of how the
// node's operands lie in memory once indexed a 4-entry array at -1 for it (found by mutating
// real models; the sanitizer suite, make test, catches the stray write).
TEST(OnnxImport, RankFiveValueIntoAFeatureMap) {
  ModelBuilder m;
  m.Opset(11);
  m.Input("x", {1, 2, 1, 3, 2});
  m.Output("y");
  m.IntsAttr(m.Node("Squeeze", {"x"}, {"s"}, "squeeze"), "axes", {2});
  m.Node("Relu", {"s"}, {"y"}, "relu");
  sn2_model_t model = nullptr;
  ASSERT_EQ(Load(m.Bytes(), &model), sn2_status_success) << sn2_last_error();
  ModelPtr owner(model);
  const std::vector<float> x = {1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6};
  std::vector<float> expected;
  for (float v : x) expected.push_back(v > 0 ? v : 0.0f);
  EXPECT_EQ(RunModel(model, x), expected);
}

// A small network with the ops and attributes ShuffleNet exports use: conv (pads, group),
// ReLU, max pool, concat, global pool, flatten, matmul + add, softmax. Every dim and attribute
// value passes through `tweak` (the structural fuzz test below changes some).
using Tweak = std::function<int64_t(int64_t)>;
ModelBuilder SmallNet(const Tweak& tweak = [](int64_t v) { return v; }) {
  auto t = [&](std::vector<int64_t> v) {
    for (int64_t& x : v) x = tweak(x);
    return v;
  };
  ModelBuilder m;
  m.Input("x", t({1, 4, 8, 8}));
  m.Output("y");
  std::vector<float> w(4 * 2 * 9), b(4), fc(8 * 5), fc_b(5);
  for (size_t i = 0; i < w.size(); i++) w[i] = 0.05f * float(int(i % 7) - 3);
  for (size_t i = 0; i < fc.size(); i++) fc[i] = 0.1f * float(int(i % 5) - 2);
  m.Initializer("w", t({4, 2, 3, 3}), w);
  m.Initializer("b", t({4}), b, /*raw=*/true);
  m.Initializer("fc", t({8, 5}), fc, /*raw=*/true);
  m.Initializer("fc_b", t({5}), fc_b);
  Onnx__NodeProto* conv = m.Node("Conv", {"x", "w", "b"}, {"c"}, "conv");
  m.IntsAttr(conv, "pads", t({1, 1, 1, 1}));
  m.IntAttr(conv, "group", tweak(2));
  m.Node("Relu", {"c"}, {"r"}, "relu");
  Onnx__NodeProto* pool = m.Node("MaxPool", {"r"}, {"p"}, "pool");
  m.IntsAttr(pool, "kernel_shape", t({3, 3}));
  m.IntsAttr(pool, "strides", t({2, 2}));
  m.IntsAttr(pool, "pads", t({1, 1, 1, 1}));
  m.IntAttr(m.Node("Concat", {"p", "p"}, {"cat"}, "concat"), "axis", tweak(1));
  m.Node("GlobalAveragePool", {"cat"}, {"g"}, "gap");
  m.IntAttr(m.Node("Flatten", {"g"}, {"f"}, "flatten"), "axis", tweak(1));
  m.Node("MatMul", {"f", "fc"}, {"mm"}, "matmul");
  m.Node("Add", {"mm", "fc_b"}, {"logits"}, "bias");
  m.IntAttr(m.Node("Softmax", {"logits"}, {"y"}, "softmax"), "axis", tweak(1));
  return m;
}

TEST(OnnxImport, SmallNetLoadsAndRuns) {
  sn2_model_t model = nullptr;
  ASSERT_EQ(Load(SmallNet().Bytes(), &model), sn2_status_success) << sn2_last_error();
  ModelPtr owner(model);
  const std::vector<float> y = RunModel(model, std::vector<float>(4 * 8 * 8, 1.0f));
  ASSERT_EQ(y.size(), 5u);
  float sum = 0.0f;
  for (float v : y) sum += v;
  EXPECT_NEAR(sum, 1.0f, 1e-5f);
}

// What a model that may be broken must do: fail to load with a status and a message, or
// compile and run, or have its session refuse with a status and a message. Counts the loads.
void ExpectCleanOutcome(const std::string& bytes, int round, size_t* loaded, size_t* refused) {
  sn2_model_t model = nullptr;
  if (Load(bytes, &model) != sn2_status_success) {
    ++*refused;
    EXPECT_EQ(model, nullptr);
    EXPECT_STRNE(sn2_last_error(), "") << "round " << round;
    return;
  }
  ++*loaded;
  ModelPtr owner(model);
  uint32_t dims[SN2_MAX_DIMS], rank = 0, out_dims[SN2_MAX_DIMS], out_rank = 0;
  ASSERT_EQ(sn2_model_get_input_shape(model, dims, &rank), sn2_status_success);
  ASSERT_EQ(sn2_model_get_output_shape(model, out_dims, &out_rank), sn2_status_success);
  size_t in_count = 1, out_count = 1;
  for (uint32_t d = 0; d < rank; d++) in_count *= dims[d];
  for (uint32_t d = 0; d < out_rank; d++) out_count *= out_dims[d];
  if (in_count > (1u << 20) || out_count > (1u << 20)) return;  // a size change: not this test's
  sn2_session_t session = nullptr;
  if (sn2_session_create(model, 1, &session) != sn2_status_success) {
    EXPECT_STRNE(sn2_last_error(), "") << "round " << round;
    return;
  }
  SessionPtr session_owner(session);
  std::vector<float> x(in_count, 0.5f), y(out_count);
  EXPECT_EQ(sn2_session_run(session, x.data(), x.size(), y.data(), y.size(), 0), sn2_status_success)
      << "round " << round << ": " << sn2_last_error();
}

// Bytes of a valid model changed at random (deterministic seeds). Anything but a clean outcome
// (a crash, an abort, a sanitizer finding in make test's sanitizer build, a leak under
// valgrind) fails the test.
TEST(OnnxImport, MutatedModelsFailCleanly) {
  const std::string good = SmallNet().Bytes();
  std::mt19937 rng(2026);
  size_t loaded = 0, refused = 0;
  for (int round = 0; round < 2000; round++) {
    std::string bytes = good;
    const int changes = 1 + int(rng() % 4);
    for (int c = 0; c < changes; c++) {
      const size_t at = rng() % bytes.size();
      switch (rng() % 3) {
        case 0: bytes[at] = char(rng()); break;           // any byte
        case 1: bytes[at] = char(bytes[at] ^ (1u << (rng() % 8))); break;  // one bit
        default: bytes.erase(at, 1 + rng() % 8); break;   // a few bytes gone
      }
      if (bytes.empty()) bytes = "x";
    }
    ExpectCleanOutcome(bytes, round, &loaded, &refused);
    if (HasFatalFailure()) return;
  }
  // Both outcomes occur: the mutations reach past the parser.
  EXPECT_GT(loaded, 100u);
  EXPECT_GT(refused, 100u);
}

// The same network with dims and attribute values changed at random to values a parser lets
// through (zero, negative, huge, off by one): the importer's and the planner's checks, not the
// protobuf parser's.
TEST(OnnxImport, MutatedDimsAndAttributesFailCleanly) {
  const int64_t odd[] = {-(INT64_C(1) << 40), -2, -1, 0, 1, 2, 3, 5, 8, 64, INT64_C(1) << 20, INT64_C(1) << 31};
  std::mt19937 rng(2027);
  size_t loaded = 0, refused = 0;
  for (int round = 0; round < 1000; round++) {
    const Tweak tweak = [&](int64_t v) { return rng() % 8 == 0 ? odd[rng() % (sizeof odd / sizeof odd[0])] : v; };
    ExpectCleanOutcome(SmallNet(tweak).Bytes(), round, &loaded, &refused);
    if (HasFatalFailure()) return;
  }
  EXPECT_GT(loaded, 20u);
  EXPECT_GT(refused, 100u);
}

TEST(OnnxImport, ReshapeNeedsAConstantShape) {
  ModelBuilder m;
  m.Input("x", {1, 4});
  m.Output("y");
  m.Node("Reshape", {"x", "x"}, {"y"}, "dynamic_reshape");
  ExpectFailure(m.Bytes(), sn2_status_unsupported_parameter, {"dynamic_reshape", "constant"});
}

}  // namespace

// The ONNX Model Zoo's ImageNet ShuffleNet V2 (QDQ, ../shared/models), run in fp32, on the 100
// photos of ../shared/images/imagenet-sample-100 through sn2's own preprocessing. The reference
// is onnxruntime on the same input tensors, with the same fp32 reading of the QDQ graph
// (tools/qdq_fp32_reference.py made tests/fixtures/imagenet100.tar.xz).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

extern "C" {
#include "engine/cli/image.h"
}
#include "test_util.h"

namespace {

const std::string kShared = SN2_SHARED_DIR;
const std::string kModel = kShared + "/models/shufflenet-v2-12-qdq.onnx";
const std::string kImages = kShared + "/images/imagenet-sample-100";

size_t ArgMax(const float* v, size_t n) { return size_t(std::max_element(v, v + n) - v); }

TEST(RealModel, AgreesWithOnnxRuntimeOnImageNetSample) {
  std::ifstream labels_file(kImages + "/labels.tsv");
  ASSERT_TRUE(labels_file) << "needs " << kImages << "/labels.tsv (../shared, see its README)";
  std::ifstream f(std::string(SN2_FIXTURE_DIR) + "/ort_logits.f32", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  ASSERT_EQ(bytes.size(), 100u * 1000 * sizeof(float));
  std::vector<float> reference(100 * 1000);
  std::memcpy(reference.data(), bytes.data(), bytes.size());

  sn2_model_t model = nullptr;
  ASSERT_EQ(sn2_model_create_from_onnx_file(kModel.c_str(), nullptr, &model), sn2_status_success)
      << sn2_last_error();
  ModelPtr owner(model);
  sn2_session_t raw = nullptr;
  ASSERT_EQ(sn2_session_create(model, 1, &raw), sn2_status_success);
  SessionPtr session(raw);

  std::string line;
  size_t image = 0, agree = 0, top1 = 0;
  double worst = 0.0;
  std::vector<float> input(3 * 224 * 224), logits(1000);
  while (std::getline(labels_file, line) && image < 100) {
    std::istringstream row(line);
    std::string name;
    int label = -1;
    if (!(row >> name >> label)) continue;
    char error[512];
    ASSERT_EQ(sn2_cli_load_image((kImages + "/" + name).c_str(), 256, 224, input.data(), error,
                                 sizeof error),
              0)
        << error;
    ASSERT_EQ(sn2_session_run(raw, input.data(), input.size(), logits.data(), logits.size(), 0),
              sn2_status_success);
    const std::vector<float> expected(reference.begin() + image * 1000,
                                      reference.begin() + (image + 1) * 1000);
    const double error_rel = RelativeMaxError(logits, expected);
    worst = std::max(worst, error_rel);
    EXPECT_LE(error_rel, 1e-4) << name;
    agree += ArgMax(logits.data(), 1000) == ArgMax(expected.data(), 1000);
    top1 += ArgMax(logits.data(), 1000) == size_t(label);
    image++;
  }
  ASSERT_EQ(image, 100u);
  EXPECT_GE(agree, 98u);
  RecordProperty("top1_agreement", int(agree));
  RecordProperty("top1_correct", int(top1));
  std::printf("top-1 agreement with onnxruntime %zu/100, max relative logit error %.2e, "
              "top-1 correct %zu/100\n", agree, worst, top1);
}

}  // namespace

// Helpers shared by the tests: RAII owners of sn2 handles and a relative-error measure.
#ifndef SN2_TESTS_TEST_UTIL_H
#define SN2_TESTS_TEST_UTIL_H

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "sn2.h"

struct ModelDeleter {
  void operator()(sn2_model* m) const { sn2_model_delete(m); }
};
struct SessionDeleter {
  void operator()(sn2_session* s) const { sn2_session_delete(s); }
};
using ModelPtr = std::unique_ptr<sn2_model, ModelDeleter>;
using SessionPtr = std::unique_ptr<sn2_session, SessionDeleter>;

inline ModelPtr MakeBuiltin(const char* name, sn2_options options = {}) {
  sn2_model_t model = nullptr;
  const sn2_status status = sn2_model_create_builtin(name, &options, &model);
  EXPECT_EQ(status, sn2_status_success) << name << ": " << sn2_last_error();
  return ModelPtr(model);
}

inline std::vector<uint32_t> OutputShape(sn2_model_t model) {
  uint32_t dims[SN2_MAX_DIMS], rank = 0;
  EXPECT_EQ(sn2_model_get_output_shape(model, dims, &rank), sn2_status_success);
  return std::vector<uint32_t>(dims, dims + rank);
}

inline std::vector<uint32_t> InputShape(sn2_model_t model) {
  uint32_t dims[SN2_MAX_DIMS], rank = 0;
  EXPECT_EQ(sn2_model_get_input_shape(model, dims, &rank), sn2_status_success);
  return std::vector<uint32_t>(dims, dims + rank);
}

inline size_t Elements(const std::vector<uint32_t>& dims) {
  size_t n = 1;
  for (uint32_t d : dims) n *= d;
  return n;
}

// A deterministic input in roughly the range of a normalised image.
inline std::vector<float> PatternInput(size_t n, uint32_t salt = 0) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; i++) v[i] = float(int((i * 2654435761u + salt) % 2001) - 1000) / 500.0f;
  return v;
}

// Runs a model once on `input` with `threads` threads; returns the output.
inline std::vector<float> RunModel(sn2_model_t model, const std::vector<float>& input,
                                   uint32_t threads = 1, uint32_t flags = 0) {
  std::vector<float> output(Elements(OutputShape(model)), NAN);
  sn2_session_t session = nullptr;
  EXPECT_EQ(sn2_session_create(model, threads, &session), sn2_status_success) << sn2_last_error();
  SessionPtr owner(session);
  EXPECT_EQ(sn2_session_run(session, input.data(), input.size(), output.data(), output.size(),
                            flags),
            sn2_status_success)
      << sn2_last_error();
  return output;
}

// max |a - b| / max |b|: the whole-network tolerance measure.
inline double RelativeMaxError(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0.0, scale = 0.0;
  for (size_t i = 0; i < a.size(); i++) {
    diff = std::max(diff, double(std::fabs(a[i] - b[i])));
    scale = std::max(scale, double(std::fabs(b[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

#endif  // SN2_TESTS_TEST_UTIL_H

// The smallest sn2 app: build a built-in model, run it once on a synthetic image, print the
// top-1 class. Every call's status is checked, and the last error says what went wrong.
#include <sn2.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
  const char* name = argc > 1 ? argv[1] : "shufflenet_v2_x1_0";
  sn2_model_t model = NULL;
  sn2_session_t session = NULL;
  float* input = NULL;
  float* logits = NULL;
  int rc = 1;
  uint32_t in_dims[SN2_MAX_DIMS], out_dims[SN2_MAX_DIMS], in_rank = 0, out_rank = 0;
  enum sn2_status status = sn2_model_create_builtin(name, NULL, &model);
  if (status == sn2_status_success) status = sn2_model_get_input_shape(model, in_dims, &in_rank);
  if (status == sn2_status_success) status = sn2_model_get_output_shape(model, out_dims, &out_rank);
  if (status == sn2_status_success) status = sn2_session_create(model, 1, &session);
  if (status != sn2_status_success) goto done;
  size_t in_count = 1, classes = 1;
  for (uint32_t i = 0; i < in_rank; i++) in_count *= in_dims[i];
  for (uint32_t i = 0; i < out_rank; i++) classes *= out_dims[i];  // [1, 1000]
  input = malloc(in_count * sizeof *input);
  logits = malloc(classes * sizeof *logits);
  if (!input || !logits) goto done;
  for (size_t i = 0; i < in_count; i++) input[i] = (float)(i % 17) / 17.0f - 0.5f;
  status = sn2_session_run(session, input, in_count, logits, classes, 0);
  if (status != sn2_status_success) goto done;
  size_t best = 0;
  for (size_t i = 1; i < classes; i++) {
    if (logits[i] > logits[best]) best = i;
  }
  printf("%s: top-1 class %zu (logit %.3f)\n", name, best, logits[best]);
  rc = 0;
done:
  if (status != sn2_status_success) {
    fprintf(stderr, "classify: %s: %s\n", sn2_status_string(status), sn2_last_error());
  }
  free(input);
  free(logits);
  sn2_session_delete(session);
  sn2_model_delete(model);
  return rc;
}

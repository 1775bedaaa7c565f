// sn2: run, time and inspect models from the command line.
//
//   sn2 run MODEL [IMAGE] [--threads N] [--top K] [--labels FILE] [--input-raw F.f32]
//                 [--output-raw F.f32] [--dump-input F.f32]
//   sn2 bench MODEL [--threads N] [--runs N] [--warmup N] [--json] [--profile | --profile-ops]
//   sn2 inspect MODEL [--json]
//   sn2 compare MODEL... [--threads N] [--runs N] [--warmup N]
//   common: [--isa auto|scalar|avx2|avx512f|neon] [--reference] [--seed N]
//           [--no-views] [--no-passes] [--xnnpack-only]  (the ablation switches)
//
// MODEL is builtin:NAME or a path to an .onnx file. An error is one line on stderr and exit
// status 1 (2 for usage).
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/cli/image.h"
#include "engine/src/engine.h"
#include "kernels/config/hardware-config.h"
#include "sn2.h"

struct cli {
  const char* command;
  const char* models[16];
  unsigned model_count;
  const char* image;
  const char* labels;
  const char* input_raw;
  const char* output_raw;
  const char* dump_input;
  unsigned threads, top, runs, warmup;
  int json;
  int profile;
  struct sn2_options options;
};

static int fail(const char* format, ...) {
  va_list args;
  va_start(args, format);
  fputs("sn2: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
  return 1;
}

static int usage(void) {
  fputs(
      "usage: sn2 run MODEL [IMAGE] [--threads N] [--top K] [--labels FILE]\n"
      "                     [--input-raw F.f32] [--output-raw F.f32] [--dump-input F.f32]\n"
      "       sn2 bench MODEL [--threads N] [--runs N] [--warmup N] [--json] [--profile | --profile-ops]\n"
      "       sn2 inspect MODEL [--json]\n"
      "       sn2 compare MODEL... [--threads N] [--runs N] [--warmup N]\n"
      "options for all: --isa auto|scalar|avx2|avx512f|neon, --reference, --seed N,\n"
      "                 --no-views (copies for split/concat/shuffle), --no-passes,\n"
      "                 --xnnpack-only (no sn2 SIMD kernels)\n"
      "MODEL: an .onnx file, or builtin:NAME with NAME one of:",
      stderr);
  for (const char* const* name = sn2_builtin_names(); *name; name++) fprintf(stderr, " %s", *name);
  fputc('\n', stderr);
  return 2;
}

static int parse_unsigned(const char* flag, const char* text, unsigned min, unsigned max,
                          unsigned* out) {
  char* end = NULL;
  errno = 0;
  unsigned long v = text ? strtoul(text, &end, 10) : 0;
  if (!text || *text == '-' || *end || errno || v < min || v > max) {
    fail("%s needs a whole number from %u to %u, not '%s'", flag, min, max, text ? text : "");
    return -1;
  }
  *out = (unsigned)v;
  return 0;
}

static int parse_args(int argc, char** argv, struct cli* cli) {
  memset(cli, 0, sizeof *cli);
  cli->top = 5;
  cli->runs = 50;
  cli->warmup = 10;
  cli->threads = 1;
  if (argc < 2) return usage();
  cli->command = argv[1];
  for (int i = 2; i < argc; i++) {
    const char* a = argv[i];
    const char* next = i + 1 < argc ? argv[i + 1] : NULL;
    unsigned seed_low = 0;
    if (strcmp(a, "--threads") == 0) {
      if (parse_unsigned(a, next, 1, 1024, &cli->threads)) return 2;
      i++;
    } else if (strcmp(a, "--top") == 0) {
      if (parse_unsigned(a, next, 1, 100000, &cli->top)) return 2;
      i++;
    } else if (strcmp(a, "--runs") == 0) {
      if (parse_unsigned(a, next, 1, 1000000, &cli->runs)) return 2;
      i++;
    } else if (strcmp(a, "--warmup") == 0) {
      if (parse_unsigned(a, next, 0, 1000000, &cli->warmup)) return 2;
      i++;
    } else if (strcmp(a, "--seed") == 0) {
      if (parse_unsigned(a, next, 0, UINT32_MAX, &seed_low)) return 2;
      cli->options.seed = seed_low;
      i++;
    } else if (strcmp(a, "--labels") == 0 && next) {
      cli->labels = argv[++i];
    } else if (strcmp(a, "--input-raw") == 0 && next) {
      cli->input_raw = argv[++i];
    } else if (strcmp(a, "--output-raw") == 0 && next) {
      cli->output_raw = argv[++i];
    } else if (strcmp(a, "--dump-input") == 0 && next) {
      cli->dump_input = argv[++i];
    } else if (strcmp(a, "--isa") == 0 && next) {
      const char* isa = argv[++i];
      cli->options.isa = (enum sn2_isa)99;
      for (int k = sn2_isa_auto; k <= sn2_isa_neon; k++) {
        if (strcmp(isa, sn2_isa_name((enum sn2_isa)k)) == 0) cli->options.isa = (enum sn2_isa)k;
      }
      if (cli->options.isa == (enum sn2_isa)99) {
        fail("--isa: unknown ISA '%s' (auto, scalar, avx2, avx512f, neon)", isa);
        return 2;
      }
    } else if (strcmp(a, "--reference") == 0) {
      cli->options.flags |= SN2_FLAG_REFERENCE;
    } else if (strcmp(a, "--no-views") == 0) {
      cli->options.flags |= SN2_FLAG_NO_CHANNEL_VIEWS;
    } else if (strcmp(a, "--no-passes") == 0) {
      cli->options.flags |= SN2_FLAG_NO_GRAPH_PASSES;
    } else if (strcmp(a, "--xnnpack-only") == 0) {
      cli->options.flags |= SN2_FLAG_XNNPACK_ONLY;
    } else if (strcmp(a, "--json") == 0) {
      cli->json = 1;
    } else if (strcmp(a, "--profile") == 0) {
      cli->profile = cli->profile > 1 ? cli->profile : 1;
    } else if (strcmp(a, "--profile-ops") == 0) {
      cli->profile = 2;
    } else if (a[0] == '-' && a[1] == '-') {
      fail("unknown option or missing value: %s", a);
      return usage();
    } else if (cli->model_count == 0 || strcmp(cli->command, "compare") == 0) {
      if (cli->model_count == sizeof cli->models / sizeof *cli->models) {
        fail("too many models");
        return 2;
      }
      cli->models[cli->model_count++] = a;
    } else if (strcmp(cli->command, "run") == 0 && !cli->image) {
      cli->image = a;
    } else {
      fail("unexpected argument: %s", a);
      return usage();
    }
  }
  if (cli->model_count == 0) {
    fail("%s: no MODEL given", cli->command);
    return usage();
  }
  cli->options.threads = cli->threads;
  return 0;
}

static int load_model(const char* spec, const struct sn2_options* options, sn2_model_t* model) {
  static const char prefix[] = "builtin:";
  enum sn2_status status;
  if (strncmp(spec, prefix, sizeof prefix - 1) == 0) {
    status = sn2_model_create_builtin(spec + sizeof prefix - 1, options, model);
  } else {
    status = sn2_model_create_from_onnx_file(spec, options, model);
  }
  if (status != sn2_status_success) {
    return fail("%s: %s: %s", spec, sn2_status_string(status), sn2_last_error());
  }
  return 0;
}

static size_t element_count(const uint32_t* dims, uint32_t rank) {
  size_t n = 1;
  for (uint32_t i = 0; i < rank; i++) n *= dims[i];
  return n;
}

// Element counts of the model's input and output.
static void io_counts(sn2_model_t model, size_t* in_count, size_t* out_count) {
  uint32_t dims[SN2_MAX_DIMS], rank;
  sn2_model_get_input_shape(model, dims, &rank);
  *in_count = element_count(dims, rank);
  sn2_model_get_output_shape(model, dims, &rank);
  *out_count = element_count(dims, rank);
}

// "1x24x112x112" (text) or "[1, 24, 112, 112]" (JSON).
static void format_dims(char* out, size_t size, const uint32_t* dims, uint32_t rank, int json) {
  size_t used = (size_t)snprintf(out, size, "%s", json ? "[" : "");
  for (uint32_t i = 0; i < rank && used < size; i++) {
    used += (size_t)snprintf(out + used, size - used, "%s%u", i ? (json ? ", " : "x") : "", dims[i]);
  }
  if (json && used < size) snprintf(out + used, size - used, "]");
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec * 1e-6;
}

static int compare_doubles(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

struct timing {
  double median_ms, min_ms;
};

// Times `runs` runs after `warmup` on a fixed synthetic input.
static int time_model(sn2_model_t model, const struct cli* cli, struct timing* timing) {
  size_t in_count, out_count;
  io_counts(model, &in_count, &out_count);
  float* input = malloc(in_count * sizeof *input);
  float* output = malloc(out_count * sizeof *output);
  double* times = malloc(cli->runs * sizeof *times);
  sn2_session_t session = NULL;
  int rc = 1;
  enum sn2_status status = sn2_status_out_of_memory;
  if (!input || !output || !times) goto done;
  for (size_t i = 0; i < in_count; i++) input[i] = (float)((i * 7919) % 255) / 255.0f - 0.5f;
  status = sn2_session_create(model, cli->threads, &session);
  for (unsigned i = 0; status == sn2_status_success && i < cli->warmup; i++) {
    status = sn2_session_run(session, input, in_count, output, out_count, 0);
  }
  for (unsigned i = 0; status == sn2_status_success && i < cli->runs; i++) {
    const double start = now_ms();
    status = sn2_session_run(session, input, in_count, output, out_count, 0);
    times[i] = now_ms() - start;
  }
  if (status == sn2_status_success) {
    qsort(times, cli->runs, sizeof *times, compare_doubles);
    timing->min_ms = times[0];
    timing->median_ms = cli->runs % 2 ? times[cli->runs / 2]
                                      : 0.5 * (times[cli->runs / 2 - 1] + times[cli->runs / 2]);
    rc = 0;
  }
done:
  if (rc) fail("benchmark failed: %s: %s", sn2_status_string(status), sn2_last_error());
  sn2_session_delete(session);
  free(input);
  free(output);
  free(times);
  return rc;
}

static void print_json_string(const char* s) {
  putchar('"');
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') {
      printf("\\%c", *s);
    } else if ((unsigned char)*s < 0x20) {
      printf("\\u%04x", (unsigned char)*s);
    } else {
      putchar(*s);
    }
  }
  putchar('"');
}

static int command_inspect(const struct cli* cli, sn2_model_t model) {
  struct sn2_plan_stats stats;
  sn2_model_get_stats(model, &stats);
  if (cli->json) {
    printf("{\"model\": ");
    print_json_string(cli->models[0]);
    printf(", \"isa\": \"%s\", \"macs\": %llu, \"mac_bytes\": %llu, \"copy_bytes\": %llu, "
           "\"arena_bytes\": %llu, \"arena_lower_bound_bytes\": %llu, \"weight_bytes\": %llu, "
           "\"op_count\": %u, \"ops\": [",
           sn2_isa_name(model->isa), (unsigned long long)stats.macs,
           (unsigned long long)stats.mac_bytes, (unsigned long long)stats.copy_bytes,
           (unsigned long long)stats.arena_bytes,
           (unsigned long long)stats.arena_lower_bound_bytes,
           (unsigned long long)stats.weight_bytes, stats.op_count);
    for (uint32_t i = 0; i < stats.op_count; i++) {
      struct sn2_op_info op;
      sn2_model_get_op_info(model, i, &op);
      printf("%s\n  {\"name\": ", i ? "," : "");
      print_json_string(op.name);
      char in_shape[96], out_shape[96];
      format_dims(in_shape, sizeof in_shape, op.input_dims, op.input_rank, 1);
      format_dims(out_shape, sizeof out_shape, op.output_dims, op.output_rank, 1);
      printf(", \"type\": \"%s\", \"kernel\": \"%s\", \"input\": %s, \"output\": %s, "
             "\"macs\": %llu, \"mac_bytes\": %llu, \"copy_bytes\": %llu}",
             op.type, op.kernel, in_shape, out_shape, (unsigned long long)op.macs,
             (unsigned long long)op.mac_bytes, (unsigned long long)op.copy_bytes);
    }
    printf("\n]}\n");
    return 0;
  }
  printf("%-36s %-18s %-38s %-18s %10s %10s\n", "op", "type", "kernel", "output",
         "MACs", "MAC bytes");
  for (uint32_t i = 0; i < stats.op_count; i++) {
    struct sn2_op_info op;
    sn2_model_get_op_info(model, i, &op);
    char shape[96];
    format_dims(shape, sizeof shape, op.output_dims, op.output_rank, 0);
    printf("%-36s %-18s %-38s %-18s %10llu %10llu\n", op.name, op.type, op.kernel, shape,
           (unsigned long long)op.macs, (unsigned long long)op.mac_bytes);
  }
  printf("\nisa %s | %u ops | %.2f M MACs | memory access %.2f MB | copies %.2f MB | arena "
         "%.2f MB | weights %.2f MB\n",
         sn2_isa_name(model->isa), stats.op_count, stats.macs / 1e6, stats.mac_bytes / 1e6,
         stats.copy_bytes / 1e6, stats.arena_bytes / 1e6, stats.weight_bytes / 1e6);
  return 0;
}

// Where the time goes: each op timed over the runs (after warm-up), summed by op type and
// kernel, with its rate against the work it does.
static int print_profile(const struct cli* cli, sn2_model_t model) {
  struct sn2_plan_stats stats;
  sn2_model_get_stats(model, &stats);
  size_t in_count, out_count;
  io_counts(model, &in_count, &out_count);
  float* input = calloc(in_count, sizeof *input);
  float* output = malloc(out_count * sizeof *output);
  double* seconds = calloc(stats.op_count + 1, sizeof *seconds);
  sn2_session_t session = NULL;
  enum sn2_status status = input && output && seconds ? sn2_session_create(model, cli->threads, &session)
                                                      : sn2_status_out_of_memory;
  for (unsigned i = 0; status == sn2_status_success && i < cli->warmup; i++) {
    status = sn2_session_run(session, input, in_count, output, out_count, 0);
  }
  for (unsigned i = 0; status == sn2_status_success && i < cli->runs; i++) {
    status = sn2_session_run_profiled(session, input, in_count, output, out_count, seconds);
  }
  if (status == sn2_status_success) {
    // Group by type + kernel.
    struct group { const char* type; const char* kernel; double us; uint64_t macs, bytes; unsigned ops; } groups[64];
    unsigned count = 0;
    double total = 0.0;
    if (cli->profile > 1) printf("%-36s %-38s %10s %10s %9s\n", "op", "kernel", "us/run", "GFLOP/s", "GB/s");
    for (uint32_t i = 0; i < stats.op_count; i++) {
      struct sn2_op_info op;
      sn2_model_get_op_info(model, i, &op);
      // Convs by kind: 1x1, depthwise, other (the stem).
      const struct sn2_node* node = &model->graph->nodes[model->ops[i].node];
      if (node->type == sn2_op_conv2d && !node->params.conv2d.averaging) {
        const struct sn2_conv2d_params* c = &node->params.conv2d;
        op.type = c->global_average                                                 ? "Conv 1x1+GAP"
                  : c->max_pooled                                                   ? "Conv+MaxPool"
                  : c->groups == c->input_channels && c->groups == c->output_channels ? "Conv depthwise"
                  : c->kernel_h * c->kernel_w == 1                                  ? "Conv 1x1"
                                                                                    : "Conv";
      }
      unsigned g = 0;
      while (g < count && (strcmp(groups[g].type, op.type) || strcmp(groups[g].kernel, op.kernel))) g++;
      if (g == count && count < 64) groups[count++] = (struct group){op.type, op.kernel, 0, 0, 0, 0};
      if (g < count) {
        groups[g].us += seconds[i] * 1e6 / cli->runs;
        groups[g].macs += op.macs;
        groups[g].bytes += op.mac_bytes;
        groups[g].ops++;
      }
      total += seconds[i] * 1e6 / cli->runs;
      if (cli->profile > 1) {
        const double us = seconds[i] * 1e6 / cli->runs;
        printf("%-36s %-38s %10.1f %10.1f %9.1f\n", op.name, op.kernel, us, us > 0 ? 2.0 * op.macs / (us * 1e3) : 0.0,
               us > 0 ? op.mac_bytes / (us * 1e3) : 0.0);
      }
    }
    // The caller's N, C, H, W input and the output, moved in and out of the plan's layout.
    const double transfer_us = seconds[stats.op_count] * 1e6 / cli->runs;
    if (count < 64) groups[count++] = (struct group){"Input/output", "layout transfer", transfer_us, 0, 0, 0};
    total += transfer_us;
    if (cli->profile > 1) printf("\n");
    printf("%-18s %-38s %5s %10s %7s %10s %9s\n", "op type", "kernel", "ops", "us/run", "%", "GFLOP/s", "GB/s");
    for (unsigned g = 0; g < count; g++) {
      const double us = groups[g].us;
      printf("%-18s %-38s %5u %10.1f %6.1f%% %10.1f %9.1f\n", groups[g].type, groups[g].kernel,
             groups[g].ops, us, 100.0 * us / total, us > 0 ? 2.0 * groups[g].macs / (us * 1e3) : 0.0,
             us > 0 ? groups[g].bytes / (us * 1e3) : 0.0);
    }
    printf("total %.1f us per run summed over ops (%u runs, %u threads; GB/s in the paper's memory-access model)\n",
           total, cli->runs, cli->threads);
  } else {
    fail("profile failed: %s: %s", sn2_status_string(status), sn2_last_error());
  }
  sn2_session_delete(session);
  free(input);
  free(output);
  free(seconds);
  return status == sn2_status_success ? 0 : 1;
}

static int command_bench(const struct cli* cli, sn2_model_t model) {
  if (cli->profile) return print_profile(cli, model);
  struct timing t;
  if (time_model(model, cli, &t)) return 1;
  struct sn2_plan_stats stats;
  sn2_model_get_stats(model, &stats);
  if (cli->json) {
    printf("{\"model\": ");
    print_json_string(cli->models[0]);
    printf(", \"isa\": \"%s\", \"threads\": %u, \"runs\": %u, \"median_ms\": %.4f, "
           "\"min_ms\": %.4f, \"macs\": %llu}\n",
           sn2_isa_name(model->isa), cli->threads, cli->runs, t.median_ms, t.min_ms,
           (unsigned long long)stats.macs);
  } else {
    printf("%s: median %.3f ms, min %.3f ms over %u runs (%u threads, isa %s, %.1f GFLOP/s)\n",
           cli->models[0], t.median_ms, t.min_ms, cli->runs, cli->threads,
           sn2_isa_name(model->isa), 2.0 * stats.macs / (t.median_ms * 1e6));
  }
  return 0;
}

// Reads labels, one per line; returns the count (0 when the file is absent).
static size_t load_labels(const char* path, char*** labels_out) {
  *labels_out = NULL;
  FILE* f = path ? fopen(path, "r") : NULL;
  if (!f) return 0;
  char** labels = NULL;
  size_t count = 0, capacity = 0;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\r\n")] = '\0';
    if (count == capacity) {
      capacity = capacity ? 2 * capacity : 1024;
      char** grown = realloc(labels, capacity * sizeof *grown);
      if (!grown) break;
      labels = grown;
    }
    labels[count] = strdup(line);
    if (!labels[count]) break;
    count++;
  }
  fclose(f);
  *labels_out = labels;
  return count;
}

static int read_raw(const char* path, float* data, size_t count) {
  FILE* f = fopen(path, "rb");
  if (!f) return fail("cannot open %s: %s", path, strerror(errno));
  size_t got = fread(data, sizeof(float), count, f);
  int extra = fgetc(f) != EOF;
  fclose(f);
  if (got != count || extra) {
    return fail("%s: expected exactly %zu float32 values (%zu bytes)", path, count,
                count * sizeof(float));
  }
  return 0;
}

static int write_raw(const char* path, const float* data, size_t count) {
  FILE* f = fopen(path, "wb");
  const int ok = f && fwrite(data, sizeof(float), count, f) == count;
  if (f && fclose(f) != 0) return fail("cannot write %s", path);
  return ok ? 0 : fail("cannot write %s", path);
}

static int command_run(const struct cli* cli, sn2_model_t model) {
  uint32_t in_dims[SN2_MAX_DIMS], in_rank;
  sn2_model_get_input_shape(model, in_dims, &in_rank);
  size_t in_count, out_count;
  io_counts(model, &in_count, &out_count);
  float* input = malloc(in_count * sizeof *input);
  float* output = malloc(out_count * sizeof *output);
  size_t* order = malloc(out_count * sizeof *order);
  char** labels = NULL;
  size_t label_count = 0;
  sn2_session_t session = NULL;
  int rc = 1;
  char error[512];
  if (!input || !output || !order) {
    fail("out of memory");
    goto done;
  }
  if (cli->input_raw) {
    if (read_raw(cli->input_raw, input, in_count)) goto done;
  } else if (cli->image) {
    if (in_rank != 4 || in_dims[0] != 1 || in_dims[1] != 3 || in_dims[2] != in_dims[3]) {
      char shape[96];
      format_dims(shape, sizeof shape, in_dims, in_rank, 0);
      fail("images need a model input of 1x3xSxS, this one is %s", shape);
      goto done;
    }
    const unsigned resize = in_dims[2] * 256 / 224;
    if (sn2_cli_load_image(cli->image, resize, in_dims[2], input, error, sizeof error)) {
      fail("%s", error);
      goto done;
    }
  } else {
    fail("run: give an IMAGE or --input-raw F.f32");
    goto done;
  }
  if (cli->dump_input && write_raw(cli->dump_input, input, in_count)) goto done;
  enum sn2_status status = sn2_session_create(model, cli->threads, &session);
  if (status == sn2_status_success) {
    status = sn2_session_run(session, input, in_count, output, out_count, 0);
  }
  if (status != sn2_status_success) {
    fail("%s: %s", sn2_status_string(status), sn2_last_error());
    goto done;
  }
  if (cli->output_raw && write_raw(cli->output_raw, output, out_count)) goto done;
  const char* labels_path = cli->labels ? cli->labels : getenv("SN2_LABELS");
  if (!labels_path) labels_path = SN2_DEFAULT_LABELS;
  label_count = load_labels(labels_path, &labels);
  if (cli->labels && label_count == 0) {
    fail("cannot read labels from %s", cli->labels);
    goto done;
  }
  // Top-K by partial selection: K is small.
  for (size_t i = 0; i < out_count; i++) order[i] = i;
  const size_t k = cli->top < out_count ? cli->top : out_count;
  for (size_t i = 0; i < k; i++) {
    size_t best = i;
    for (size_t j = i + 1; j < out_count; j++) {
      if (output[order[j]] > output[order[best]]) best = j;
    }
    size_t tmp = order[i];
    order[i] = order[best];
    order[best] = tmp;
    const size_t c = order[i];
    printf("%zu\t%.4f\t%s\n", c, output[c], c < label_count ? labels[c] : "");
  }
  rc = 0;
done:
  sn2_session_delete(session);
  for (size_t i = 0; i < label_count; i++) free(labels[i]);
  free(labels);
  free(input);
  free(output);
  free(order);
  return rc;
}

// The side-by-side table of `make run`: work, memory traffic and latency per model.
static int command_compare(const struct cli* cli) {
  printf("%-22s %10s %12s %10s %10s %11s %11s %9s\n", "model", "MACs (M)", "MAC (MB)",
         "copies MB", "arena MB", "median ms", "min ms", "GFLOP/s");
  int rc = 0;
  for (unsigned m = 0; m < cli->model_count; m++) {
    sn2_model_t model = NULL;
    if (load_model(cli->models[m], &cli->options, &model)) return 1;
    struct sn2_plan_stats stats;
    sn2_model_get_stats(model, &stats);
    struct timing t;
    if (time_model(model, cli, &t) == 0) {
      const char* name = strchr(cli->models[m], ':') ? strchr(cli->models[m], ':') + 1
                                                     : cli->models[m];
      printf("%-22s %10.2f %12.2f %10.2f %10.2f %11.3f %11.3f %9.1f\n", name, stats.macs / 1e6,
             stats.mac_bytes / 1e6, stats.copy_bytes / 1e6, stats.arena_bytes / 1e6,
             t.median_ms, t.min_ms, 2.0 * stats.macs / (t.median_ms * 1e6));
    } else {
      rc = 1;
    }
    sn2_model_delete(model);
  }
  printf("(%u threads, %u runs after %u warm-up; MAC = memory access cost: inputs + outputs + "
         "weights of every op, fp32)\n",
         cli->threads, cli->runs, cli->warmup);
  return rc;
}

int main(int argc, char** argv) {
  struct cli cli;
  int rc = parse_args(argc, argv, &cli);
  if (rc) return rc;
  if (strcmp(cli.command, "compare") == 0) return command_compare(&cli);
  int (*command)(const struct cli*, sn2_model_t) =
      strcmp(cli.command, "run") == 0       ? command_run
      : strcmp(cli.command, "bench") == 0   ? command_bench
      : strcmp(cli.command, "inspect") == 0 ? command_inspect
                                            : NULL;
  if (!command) {
    fail("unknown command '%s'", cli.command);
    return usage();
  }
  sn2_model_t model = NULL;
  if (load_model(cli.models[0], &cli.options, &model)) return 1;
  rc = command(&cli, model);
  sn2_model_delete(model);
  return rc;
}

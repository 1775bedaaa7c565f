// ONNX -> graph IR. See onnx-import.h for what is evaluated here and what is lowered.
#include "graph/onnx-import.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/src/error.h"
#include "onnx.pb-c.h"

#define MAX_CONST_RANK 8

enum entry_kind {
  entry_value,      // a runtime tensor: an IR value (float)
  entry_constant,   // known at import: float or integer data
  entry_quantized,  // QuantizeLinear of a runtime tensor, waiting for its DequantizeLinear
};

struct entry {
  const char* name;  // points into the ModelProto
  enum entry_kind kind;
  uint32_t value;  // entry_value, entry_quantized: the IR value
  // entry_constant:
  bool is_float;
  int32_t dtype;  // ONNX element type it came from
  uint32_t rank;  // 0 = scalar
  int64_t dims[MAX_CONST_RANK];
  size_t count;
  float* f;    // is_float
  int64_t* i;  // !is_float
  // entry_quantized: the representable range, as floats.
  float qlo, qhi, qscale;
  int64_t qzero;
};

struct importer {
  const struct sn2_onnx_import_options* options;
  int64_t opset;
  struct sn2_graph* graph;
  struct entry* entries;
  size_t entry_count, entry_capacity;
  uint32_t* table;  // open-addressing hash: entry index + 1, 0 = empty
  size_t table_size;
  // The node being imported, for messages.
  const char* node_name;
  const char* op_type;
  char fallback_name[64];
};

static enum sn2_status fail(struct importer* im, enum sn2_status status, const char* format, ...)
    __attribute__((format(printf, 3, 4)));

static enum sn2_status fail(struct importer* im, enum sn2_status status, const char* format, ...) {
  char message[400];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  if (im->op_type) return sn2_error(status, "node %s (%s): %s", im->node_name, im->op_type, message);
  return sn2_error(status, "ONNX model: %s", message);
}

// --- The name table ---------------------------------------------------------------------------

static uint64_t hash_name(const char* s) {
  uint64_t h = UINT64_C(1469598103934665603);
  for (; *s; s++) h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
  return h;
}

static struct entry* find(struct importer* im, const char* name) {
  if (!im->table) return NULL;
  for (size_t i = hash_name(name) & (im->table_size - 1);; i = (i + 1) & (im->table_size - 1)) {
    if (im->table[i] == 0) return NULL;
    struct entry* e = &im->entries[im->table[i] - 1];
    if (strcmp(e->name, name) == 0) return e;
  }
}

static void free_entry_data(struct entry* e) {
  free(e->f);
  free(e->i);
  e->f = NULL;
  e->i = NULL;
}

// Adds (or, for a name seen before, replaces) an entry; the table only grows.
static enum sn2_status define(struct importer* im, const char* name, const struct entry* value) {
  struct entry* existing = find(im, name);
  if (existing) {
    free_entry_data(existing);
    *existing = *value;
    existing->name = name;
    return sn2_status_success;
  }
  if (im->entry_count == im->entry_capacity) {
    size_t capacity = im->entry_capacity ? 2 * im->entry_capacity : 256;
    struct entry* entries = realloc(im->entries, capacity * sizeof *entries);
    if (!entries) return fail(im, sn2_status_out_of_memory, "out of memory");
    im->entries = entries;
    im->entry_capacity = capacity;
  }
  if (2 * (im->entry_count + 1) > im->table_size) {
    size_t size = im->table_size ? 2 * im->table_size : 512;
    uint32_t* table = calloc(size, sizeof *table);
    if (!table) return fail(im, sn2_status_out_of_memory, "out of memory");
    for (size_t k = 0; k < im->entry_count; k++) {
      size_t i = hash_name(im->entries[k].name) & (size - 1);
      while (table[i]) i = (i + 1) & (size - 1);
      table[i] = (uint32_t)k + 1;
    }
    free(im->table);
    im->table = table;
    im->table_size = size;
  }
  struct entry* e = &im->entries[im->entry_count];
  *e = *value;
  e->name = name;
  size_t i = hash_name(name) & (im->table_size - 1);
  while (im->table[i]) i = (i + 1) & (im->table_size - 1);
  im->table[i] = (uint32_t)++im->entry_count;
  return sn2_status_success;
}

// --- Constants --------------------------------------------------------------------------------

static float half_to_float(uint16_t h) {
  const uint32_t sign = (uint32_t)(h >> 15) << 31, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  float magnitude;
  if (exponent == 0) {
    magnitude = ldexpf((float)mantissa, -24);
  } else if (exponent == 31) {
    magnitude = mantissa ? NAN : INFINITY;
  } else {
    magnitude = ldexpf((float)(mantissa | 0x400), (int)exponent - 25);
  }
  return sign ? -magnitude : magnitude;
}

static size_t element_size(int32_t dtype) {
  switch (dtype) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: return 4;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: return 8;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: return 2;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return 1;
    default: return 0;
  }
}

static bool dtype_is_float(int32_t dtype) {
  return dtype == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
         dtype == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE ||
         dtype == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16;
}

// Element k of little-endian raw bytes of `dtype`, as double (exact for every type but
// 64-bit integers beyond 2^53, which are read as int64 separately).
static double raw_element(const uint8_t* p, int32_t dtype) {
  switch (dtype) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: { float v; memcpy(&v, p, 4); return v; }
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: { double v; memcpy(&v, p, 8); return v; }
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: { uint16_t v; memcpy(&v, p, 2); return half_to_float(v); }
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: { int32_t v; memcpy(&v, p, 4); return v; }
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: { uint32_t v; memcpy(&v, p, 4); return v; }
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: { int16_t v; memcpy(&v, p, 2); return v; }
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: { uint16_t v; memcpy(&v, p, 2); return v; }
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return (int8_t)p[0];
    default: return p[0];  // UINT8, BOOL
  }
}

static enum sn2_status read_external(struct importer* im, const Onnx__TensorProto* t,
                                     uint8_t** bytes_out, size_t* size_out) {
  const char* location = NULL;
  long long offset = 0, length = -1;
  for (size_t k = 0; k < t->n_external_data; k++) {
    const Onnx__StringStringEntryProto* kv = t->external_data[k];
    if (!kv->key || !kv->value) continue;
    if (strcmp(kv->key, "location") == 0) location = kv->value;
    if (strcmp(kv->key, "offset") == 0) offset = atoll(kv->value);
    if (strcmp(kv->key, "length") == 0) length = atoll(kv->value);
  }
  if (!location || offset < 0) {
    return fail(im, sn2_status_invalid_model, "tensor %s: external data without a location", t->name);
  }
  if (!im->options->model_dir) {
    return fail(im, sn2_status_unsupported_parameter,
                "tensor %s: external data (%s) needs the model loaded from a file", t->name, location);
  }
  if (location[0] == '/' || strstr(location, "..")) {
    return fail(im, sn2_status_invalid_model,
                "tensor %s: external data path '%s' must stay inside the model's directory",
                t->name, location);
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", im->options->model_dir, location);
  FILE* f = fopen(path, "rb");
  if (!f) return fail(im, sn2_status_io_error, "tensor %s: cannot open external data %s", t->name, path);
  if (length < 0) {
    fseek(f, 0, SEEK_END);
    length = ftell(f) - offset;
  }
  uint8_t* bytes = length > 0 ? malloc((size_t)length) : NULL;
  bool ok = length >= 0 && (length == 0 || bytes) && fseek(f, offset, SEEK_SET) == 0 &&
            fread(bytes, 1, (size_t)length, f) == (size_t)length;
  fclose(f);
  if (!ok) {
    free(bytes);
    return fail(im, sn2_status_io_error, "tensor %s: cannot read %lld bytes at %lld of %s",
                t->name, length, offset, path);
  }
  *bytes_out = bytes;
  *size_out = (size_t)length;
  return sn2_status_success;
}

// Reads a TensorProto into a constant entry (float data for float types, int64 otherwise).
static enum sn2_status read_tensor(struct importer* im, const Onnx__TensorProto* t,
                                   struct entry* e) {
  memset(e, 0, sizeof *e);
  e->kind = entry_constant;
  const char* name = t->name ? t->name : "(unnamed)";
  const int32_t dtype = t->has_data_type ? t->data_type : 0;
  const size_t esize = element_size(dtype);
  if (esize == 0) {
    return fail(im, sn2_status_unsupported_parameter, "tensor %s: element type %d is not supported",
                name, dtype);
  }
  if (t->n_dims > MAX_CONST_RANK) {
    return fail(im, sn2_status_unsupported_parameter, "tensor %s: rank %zu", name, t->n_dims);
  }
  e->dtype = dtype;
  e->is_float = dtype_is_float(dtype);
  e->rank = (uint32_t)t->n_dims;
  size_t count = 1;
  for (size_t d = 0; d < t->n_dims; d++) {
    if (t->dims[d] < 0 || t->dims[d] > (INT64_C(1) << 31) ||
        (t->dims[d] && count > (SIZE_MAX / 16) / (size_t)t->dims[d])) {
      return fail(im, sn2_status_invalid_model, "tensor %s: dim %zu is %lld", name, d,
                  (long long)t->dims[d]);
    }
    e->dims[d] = t->dims[d];
    count *= (size_t)t->dims[d];
  }
  if (count > (SIZE_MAX / 16) || count > (UINT64_C(1) << 31)) {
    return fail(im, sn2_status_unsupported_parameter, "tensor %s: too many elements", name);
  }
  e->count = count;
  uint8_t* external = NULL;
  const uint8_t* raw = NULL;
  size_t raw_size = 0;
  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
    enum sn2_status status = read_external(im, t, &external, &raw_size);
    if (status != sn2_status_success) return status;
    raw = external;
  } else if (t->has_raw_data) {
    raw = t->raw_data.data;
    raw_size = t->raw_data.len;
  }
  // Typed fields: which one holds this element type, and how many it has.
  size_t typed_count = 0;
  if (!raw) {
    switch (dtype) {
      case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: typed_count = t->n_float_data; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: typed_count = t->n_double_data; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: typed_count = t->n_int64_data; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
      case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: typed_count = t->n_uint64_data; break;
      default: typed_count = t->n_int32_data; break;  // int32 and narrower, bool, float16
    }
  }
  if ((raw && raw_size != count * esize) || (!raw && typed_count != count)) {
    free(external);
    char need[64] = "";
    if (raw) snprintf(need, sizeof need, " (%zu bytes)", count * esize);
    return fail(im, sn2_status_invalid_model,
                "tensor %s: holds %zu %s; its shape needs %zu elements%s", name,
                raw ? raw_size : typed_count, raw ? "bytes" : "values", count, need);
  }
  const size_t alloc = count ? count : 1;
  if (e->is_float) {
    e->f = malloc(alloc * sizeof *e->f);
  } else {
    e->i = malloc(alloc * sizeof *e->i);
  }
  if (!e->f && !e->i) {
    free(external);
    return fail(im, sn2_status_out_of_memory, "tensor %s: out of memory", name);
  }
  for (size_t k = 0; k < count; k++) {
    if (raw) {
      const uint8_t* p = raw + k * esize;
      if (e->is_float) {
        e->f[k] = (float)raw_element(p, dtype);
      } else if (dtype == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 ||
                 dtype == ONNX__TENSOR_PROTO__DATA_TYPE__UINT64) {
        memcpy(&e->i[k], p, 8);
      } else {
        e->i[k] = (int64_t)raw_element(p, dtype);
      }
      continue;
    }
    switch (dtype) {
      case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: e->f[k] = t->float_data[k]; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: e->f[k] = (float)t->double_data[k]; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: e->f[k] = half_to_float((uint16_t)t->int32_data[k]); break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: e->i[k] = t->int64_data[k]; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
      case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: e->i[k] = (int64_t)t->uint64_data[k]; break;
      default: e->i[k] = t->int32_data[k]; break;
    }
  }
  free(external);
  return sn2_status_success;
}

static struct entry make_constant(bool is_float, uint32_t rank, const int64_t* dims) {
  struct entry e;
  memset(&e, 0, sizeof e);
  e.kind = entry_constant;
  e.is_float = is_float;
  e.dtype = is_float ? ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT : ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
  e.rank = rank;
  e.count = 1;
  for (uint32_t d = 0; d < rank; d++) {
    e.dims[d] = dims[d];
    e.count *= (size_t)dims[d];
  }
  return e;
}

// Allocates the data of a constant made by make_constant.
static enum sn2_status allocate(struct importer* im, struct entry* e) {
  const size_t n = e->count ? e->count : 1;
  if (e->is_float) {
    e->f = calloc(n, sizeof *e->f);
  } else {
    e->i = calloc(n, sizeof *e->i);
  }
  if (!e->f && !e->i) return fail(im, sn2_status_out_of_memory, "out of memory");
  return sn2_status_success;
}

static double const_at(const struct entry* e, size_t k) {
  return e->is_float ? (double)e->f[k] : (double)e->i[k];
}

// --- Attributes and inputs --------------------------------------------------------------------

static const Onnx__AttributeProto* attr(const Onnx__NodeProto* n, const char* name) {
  for (size_t k = 0; k < n->n_attribute; k++) {
    if (n->attribute[k]->name && strcmp(n->attribute[k]->name, name) == 0) return n->attribute[k];
  }
  return NULL;
}

static int64_t attr_int(const Onnx__NodeProto* n, const char* name, int64_t fallback) {
  const Onnx__AttributeProto* a = attr(n, name);
  return a && a->has_i ? a->i : fallback;
}

static float attr_float(const Onnx__NodeProto* n, const char* name, float fallback) {
  const Onnx__AttributeProto* a = attr(n, name);
  return a && a->has_f ? a->f : fallback;
}

// True if string attribute `name` equals `value` (absent = `fallback`).
static bool attr_string_is(const Onnx__NodeProto* n, const char* name, const char* value,
                           const char* fallback) {
  const Onnx__AttributeProto* a = attr(n, name);
  if (!a || !a->has_s) return strcmp(fallback, value) == 0;
  return a->s.len == strlen(value) && memcmp(a->s.data, value, a->s.len) == 0;
}

static size_t attr_ints(const Onnx__NodeProto* n, const char* name, const int64_t** out) {
  const Onnx__AttributeProto* a = attr(n, name);
  *out = a ? a->ints : NULL;
  return a ? a->n_ints : 0;
}

// Input k of the node, or NULL where it is absent (past the end or "").
static struct entry* input(struct importer* im, const Onnx__NodeProto* n, size_t k) {
  if (k >= n->n_input || !n->input[k] || !n->input[k][0]) return NULL;
  return find(im, n->input[k]);
}

static enum sn2_status need(struct importer* im, const Onnx__NodeProto* n, size_t k,
                            struct entry** out) {
  *out = input(im, n, k);
  if (!*out) {
    return fail(im, sn2_status_invalid_model, "input %zu ('%s') is missing", k,
                k < n->n_input && n->input[k] ? n->input[k] : "");
  }
  return sn2_status_success;
}

// A constant input as integers (shapes, axes, indices).
static enum sn2_status need_ints(struct importer* im, const Onnx__NodeProto* n, size_t k,
                                 struct entry** out) {
  enum sn2_status status = need(im, n, k, out);
  if (status == sn2_status_success && ((*out)->kind != entry_constant || (*out)->is_float)) {
    return fail(im, sn2_status_unsupported_parameter,
                "input %zu ('%s') must be a constant integer tensor (computed shapes are "
                "supported only when they fold to constants)",
                k, n->input[k]);
  }
  return status;
}

static enum sn2_status define_value(struct importer* im, const char* name, uint32_t value) {
  struct entry e;
  memset(&e, 0, sizeof e);
  e.kind = entry_value;
  e.value = value;
  return define(im, name, &e);
}

static enum sn2_status define_constant(struct importer* im, const char* name, struct entry* e) {
  e->value = SN2_INVALID_ID;
  enum sn2_status status = define(im, name, e);
  if (status != sn2_status_success) free_entry_data(e);
  return status;
}

// The IR value of an entry: runtime values as they are, float constants as IR constants
// (created once, on first use).
static enum sn2_status as_value(struct importer* im, struct entry* e, uint32_t* value_out) {
  if (e->kind == entry_value) {
    *value_out = e->value;
    return sn2_status_success;
  }
  if (e->kind == entry_quantized) {
    return fail(im, sn2_status_unsupported_parameter,
                "'%s' is a quantized (integer) activation; sn2 runs QuantizeLinear only when "
                "a DequantizeLinear follows it",
                e->name);
  }
  if (!e->is_float) {
    return fail(im, sn2_status_unsupported_parameter,
                "'%s' is an integer tensor where a float tensor is computed", e->name);
  }
  if (e->value != SN2_INVALID_ID) {
    *value_out = e->value;
    return sn2_status_success;
  }
  uint32_t dims[SN2_MAX_RANK] = {1};
  uint32_t rank = e->rank ? e->rank : 1;
  if (e->rank > SN2_MAX_RANK) {
    return fail(im, sn2_status_unsupported_parameter, "constant '%s' has rank %u", e->name, e->rank);
  }
  for (uint32_t d = 0; d < e->rank; d++) dims[d] = (uint32_t)e->dims[d];
  float* copy = malloc((e->count ? e->count : 1) * sizeof *copy);
  if (!copy) return fail(im, sn2_status_out_of_memory, "out of memory");
  memcpy(copy, e->f, e->count * sizeof *copy);
  enum sn2_status status = sn2_graph_add_constant(im->graph, e->name, rank, dims, copy, &e->value);
  if (status != sn2_status_success) {
    e->value = SN2_INVALID_ID;
    return fail(im, status, "constant '%s': %s", e->name, sn2_last_error());
  }
  *value_out = e->value;
  return sn2_status_success;
}

static const struct sn2_value* value_of(struct importer* im, uint32_t id) {
  return &im->graph->values[id];
}

// Adds an IR node named after the ONNX node (plus `suffix` when one ONNX node becomes several).
static enum sn2_status emit(struct importer* im, const char* suffix, enum sn2_op_type type,
                            const uint32_t* inputs, uint32_t input_count,
                            union sn2_node_params* params, uint32_t output_count,
                            const uint32_t* split_sizes, uint32_t* outputs) {
  char name[256];
  snprintf(name, sizeof name, "%s%s%s", im->node_name, suffix ? "/" : "", suffix ? suffix : "");
  enum sn2_status status = sn2_graph_add_node(im->graph, type, name, inputs, input_count,
                                              params, output_count, split_sizes, outputs);
  if (status != sn2_status_success) {
    // The graph's message already names the node; keep it.
    return status;
  }
  return sn2_status_success;
}

static enum sn2_status emit1(struct importer* im, enum sn2_op_type type, const uint32_t* inputs,
                             uint32_t input_count, union sn2_node_params* params,
                             uint32_t* output) {
  return emit(im, NULL, type, inputs, input_count, params, 1, NULL, output);
}

static const char* output_name(const Onnx__NodeProto* n, size_t k) {
  return k < n->n_output && n->output[k] ? n->output[k] : "";
}

// Normalises axis `a` of a rank-`rank` tensor, or fails.
static enum sn2_status axis_of(struct importer* im, int64_t a, uint32_t rank, uint32_t* out) {
  *out = 0;
  if (a < -(int64_t)rank || a >= (int64_t)rank) {
    return fail(im, sn2_status_invalid_model, "axis %lld is out of range for rank %u",
                (long long)a, rank);
  }
  *out = (uint32_t)(a < 0 ? a + rank : a);
  return sn2_status_success;
}

// --- Constant folding helpers -----------------------------------------------------------------

static void set_at(struct entry* e, size_t k, double v) {
  if (e->is_float) {
    e->f[k] = (float)v;
  } else {
    e->i[k] = (int64_t)v;
  }
}

// Copies element `from` of `src` to element `to` of `dst` (same numeric kind, exact for int64).
static void copy_element(struct entry* dst, size_t to, const struct entry* src, size_t from) {
  if (dst->is_float) {
    dst->f[to] = src->is_float ? src->f[from] : (float)src->i[from];
  } else {
    dst->i[to] = src->is_float ? (int64_t)src->f[from] : src->i[from];
  }
}

static bool next_index64(uint32_t rank, const int64_t* dims, int64_t* index) {
  for (uint32_t d = rank; d-- > 0;) {
    if (++index[d] < dims[d]) return true;
    index[d] = 0;
  }
  return false;
}

static void row_major_strides(uint32_t rank, const int64_t* dims, int64_t* strides) {
  int64_t s = 1;
  for (uint32_t d = rank; d-- > 0;) {
    strides[d] = s;
    s *= dims[d];
  }
}

// The shape of any entry.
static void entry_shape(struct importer* im, const struct entry* e, uint32_t* rank,
                        int64_t* dims) {
  if (e->kind == entry_constant) {
    *rank = e->rank;
    memcpy(dims, e->dims, e->rank * sizeof *dims);
    return;
  }
  const struct sn2_value* v = value_of(im, e->value);
  *rank = v->rank;
  for (uint32_t d = 0; d < v->rank; d++) dims[d] = v->dims[d];
}

// A copy of a constant with new dims (same elements, same order).
static enum sn2_status reshaped_constant(struct importer* im, const struct entry* src,
                                         uint32_t rank, const int64_t* dims, struct entry* out) {
  *out = make_constant(src->is_float, rank, dims);
  out->dtype = src->dtype;
  if (out->count != src->count) {
    return fail(im, sn2_status_invalid_model, "cannot reshape %zu elements into %zu", src->count,
                out->count);
  }
  enum sn2_status status = allocate(im, out);
  if (status != sn2_status_success) return status;
  if (src->is_float) {
    memcpy(out->f, src->f, src->count * sizeof *out->f);
  } else {
    memcpy(out->i, src->i, src->count * sizeof *out->i);
  }
  return sn2_status_success;
}

// Maps each element of a constant result to an element of a constant source; `source_index`
// returns the flat source index for an output multi-index.
typedef int64_t (*index_map)(const void* context, const int64_t* out_index);

static enum sn2_status fold_gathering(struct importer* im, const struct entry* src, uint32_t rank,
                                      const int64_t* dims, index_map map, const void* context,
                                      const char* name) {
  struct entry out = make_constant(src->is_float, rank, dims);
  out.dtype = src->dtype;
  enum sn2_status status = allocate(im, &out);
  if (status != sn2_status_success) return status;
  if (out.count) {
    int64_t index[MAX_CONST_RANK] = {0};
    size_t k = 0;
    do copy_element(&out, k++, src, (size_t)map(context, index));
    while (next_index64(rank, dims, index));
  }
  return define_constant(im, name, &out);
}

// --- Ops --------------------------------------------------------------------------------------

typedef enum sn2_status (*op_importer)(struct importer* im, const Onnx__NodeProto* n);

static enum sn2_status alias(struct importer* im, const char* name, const struct entry* e) {
  if (e->kind != entry_constant) {
    struct entry copy = *e;
    return define(im, name, &copy);
  }
  struct entry copy;
  enum sn2_status status = reshaped_constant(im, e, e->rank, e->dims, &copy);
  if (status == sn2_status_success) status = define_constant(im, name, &copy);
  return status;
}

static enum sn2_status import_identity(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  if (status != sn2_status_success) return status;
  return alias(im, output_name(n, 0), x);
}

// Inference-mode Dropout: the identity, with an all-true mask.
static enum sn2_status import_dropout(struct importer* im, const Onnx__NodeProto* n) {
  const struct entry* training = input(im, n, 2);
  const bool train = im->opset < 7 ? attr_int(n, "is_test", 0) == 0 && im->opset >= 6
                                   : training && (training->kind != entry_constant ||
                                                  (training->count && const_at(training, 0) != 0));
  if (train) {
    return fail(im, sn2_status_unsupported_parameter,
                "Dropout in training mode (random masks) is not supported");
  }
  enum sn2_status status = import_identity(im, n);
  if (status == sn2_status_success && n->n_output > 1 && output_name(n, 1)[0]) {
    struct entry* x = input(im, n, 0);
    uint32_t rank;
    int64_t dims[MAX_CONST_RANK];
    entry_shape(im, x, &rank, dims);
    struct entry mask = make_constant(false, rank, dims);
    mask.dtype = ONNX__TENSOR_PROTO__DATA_TYPE__BOOL;
    status = allocate(im, &mask);
    for (size_t k = 0; status == sn2_status_success && k < mask.count; k++) mask.i[k] = 1;
    if (status == sn2_status_success) status = define_constant(im, output_name(n, 1), &mask);
  }
  return status;
}

static enum sn2_status import_constant(struct importer* im, const Onnx__NodeProto* n) {
  struct entry e;
  const Onnx__AttributeProto* a;
  enum sn2_status status = sn2_status_success;
  if ((a = attr(n, "value")) && a->t) {
    status = read_tensor(im, a->t, &e);
  } else if ((a = attr(n, "value_float")) && a->has_f) {
    e = make_constant(true, 0, NULL);
    if ((status = allocate(im, &e)) == sn2_status_success) e.f[0] = a->f;
  } else if ((a = attr(n, "value_int")) && a->has_i) {
    e = make_constant(false, 0, NULL);
    if ((status = allocate(im, &e)) == sn2_status_success) e.i[0] = a->i;
  } else if ((a = attr(n, "value_floats"))) {
    const int64_t dims[1] = {(int64_t)a->n_floats};
    e = make_constant(true, 1, dims);
    if ((status = allocate(im, &e)) == sn2_status_success) memcpy(e.f, a->floats, a->n_floats * sizeof *e.f);
  } else if ((a = attr(n, "value_ints"))) {
    const int64_t dims[1] = {(int64_t)a->n_ints};
    e = make_constant(false, 1, dims);
    if ((status = allocate(im, &e)) == sn2_status_success) memcpy(e.i, a->ints, a->n_ints * sizeof *e.i);
  } else {
    return fail(im, sn2_status_unsupported_parameter,
                "only tensor, float(s) and int(s) values are supported");
  }
  if (status != sn2_status_success) {
    free_entry_data(&e);
    return status;
  }
  return define_constant(im, output_name(n, 0), &e);
}

static enum sn2_status import_constant_of_shape(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* shape;
  enum sn2_status status = need_ints(im, n, 0, &shape);
  if (status != sn2_status_success) return status;
  if (shape->count > MAX_CONST_RANK) return fail(im, sn2_status_unsupported_parameter, "rank %zu", shape->count);
  struct entry fill;
  const Onnx__AttributeProto* a = attr(n, "value");
  if (a && a->t) {
    status = read_tensor(im, a->t, &fill);
    if (status == sn2_status_success && fill.count != 1) {
      free_entry_data(&fill);
      status = fail(im, sn2_status_invalid_model, "value must hold one element");
    }
  } else {
    fill = make_constant(true, 0, NULL);
    status = allocate(im, &fill);
  }
  if (status != sn2_status_success) return status;
  struct entry out = make_constant(fill.is_float, (uint32_t)shape->count, shape->i);
  out.dtype = fill.dtype;
  for (size_t d = 0; d < shape->count; d++) {
    if (shape->i[d] < 0 || shape->i[d] > (INT64_C(1) << 31)) status = fail(im, sn2_status_invalid_model, "bad shape");
  }
  if (status == sn2_status_success) status = allocate(im, &out);
  for (size_t k = 0; status == sn2_status_success && k < out.count; k++) copy_element(&out, k, &fill, 0);
  free_entry_data(&fill);
  if (status != sn2_status_success) {
    free_entry_data(&out);
    return status;
  }
  return define_constant(im, output_name(n, 0), &out);
}

static enum sn2_status import_shape(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  if (status != sn2_status_success) return status;
  uint32_t rank;
  int64_t dims[MAX_CONST_RANK];
  entry_shape(im, x, &rank, dims);
  int64_t start = attr_int(n, "start", 0), end = attr_int(n, "end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = start < 0 ? 0 : start > rank ? rank : start;
  end = end < 0 ? 0 : end > rank ? rank : end;
  const int64_t count[1] = {end > start ? end - start : 0};
  struct entry out = make_constant(false, 1, count);
  status = allocate(im, &out);
  if (status != sn2_status_success) return status;
  for (int64_t d = start; d < end; d++) out.i[d - start] = dims[d];
  return define_constant(im, output_name(n, 0), &out);
}

static enum sn2_status import_cast(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  if (status != sn2_status_success) return status;
  const int64_t to = attr_int(n, "to", 0);
  const bool to_float = dtype_is_float((int32_t)to);
  if (!to_float && element_size((int32_t)to) == 0) {
    return fail(im, sn2_status_unsupported_parameter, "cast to element type %lld", (long long)to);
  }
  if (x->kind != entry_constant) {
    if (!to_float) {
      return fail(im, sn2_status_unsupported_parameter,
                  "casting a runtime tensor to an integer type (sn2 computes in fp32)");
    }
    return alias(im, output_name(n, 0), x);
  }
  struct entry out = make_constant(to_float, x->rank, x->dims);
  out.dtype = (int32_t)to;
  status = allocate(im, &out);
  if (status != sn2_status_success) return status;
  for (size_t k = 0; k < x->count; k++) {
    double v = const_at(x, k);
    if (to == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL) v = v != 0.0;
    if (x->is_float || to_float) {
      set_at(&out, k, v);
    } else {
      out.i[k] = x->i[k];
    }
  }
  return define_constant(im, output_name(n, 0), &out);
}

static enum sn2_status broadcast_dims(struct importer* im, uint32_t ra, const int64_t* a,
                                      uint32_t rb, const int64_t* b, uint32_t* rank,
                                      int64_t* dims) {
  *rank = ra > rb ? ra : rb;
  for (uint32_t d = 0; d < *rank; d++) {
    const int64_t x = d + ra >= *rank ? a[d + ra - *rank] : 1;
    const int64_t y = d + rb >= *rank ? b[d + rb - *rank] : 1;
    if (x != y && x != 1 && y != 1) {
      return fail(im, sn2_status_invalid_model, "dims %lld and %lld do not broadcast",
                  (long long)x, (long long)y);
    }
    dims[d] = x > y ? x : y;
  }
  return sn2_status_success;
}

static enum sn2_status import_binary(struct importer* im, const Onnx__NodeProto* n) {
  struct entry *a, *b;
  enum sn2_status status = need(im, n, 0, &a);
  if (status == sn2_status_success) status = need(im, n, 1, &b);
  if (status != sn2_status_success) return status;
  enum sn2_binary_kind kind = strcmp(im->op_type, "Add") == 0   ? sn2_binary_add
                              : strcmp(im->op_type, "Sub") == 0 ? sn2_binary_sub
                              : strcmp(im->op_type, "Mul") == 0 ? sn2_binary_mul
                                                                : sn2_binary_div;
  if (a->kind == entry_constant && b->kind == entry_constant) {
    if (a->is_float != b->is_float) {
      return fail(im, sn2_status_invalid_model, "operands have different element types");
    }
    uint32_t rank;
    int64_t dims[MAX_CONST_RANK], sa[MAX_CONST_RANK], sb[MAX_CONST_RANK];
    status = broadcast_dims(im, a->rank, a->dims, b->rank, b->dims, &rank, dims);
    if (status != sn2_status_success) return status;
    int64_t ra[MAX_CONST_RANK], rb[MAX_CONST_RANK];
    row_major_strides(a->rank, a->dims, ra);
    row_major_strides(b->rank, b->dims, rb);
    for (uint32_t d = 0; d < rank; d++) {
      const int64_t ja = (int64_t)d - (rank - a->rank), jb = (int64_t)d - (rank - b->rank);
      sa[d] = ja >= 0 && a->dims[ja] != 1 ? ra[ja] : 0;
      sb[d] = jb >= 0 && b->dims[jb] != 1 ? rb[jb] : 0;
    }
    struct entry out = make_constant(a->is_float, rank, dims);
    out.dtype = a->dtype;
    status = allocate(im, &out);
    if (status != sn2_status_success) return status;
    int64_t index[MAX_CONST_RANK] = {0};
    size_t k = 0;
    if (out.count) do {
      size_t ia = 0, ib = 0;
      for (uint32_t d = 0; d < rank; d++) ia += (size_t)(index[d] * sa[d]), ib += (size_t)(index[d] * sb[d]);
      if (a->is_float) {
        const float x = a->f[ia], y = b->f[ib];
        out.f[k++] = kind == sn2_binary_add ? x + y : kind == sn2_binary_sub ? x - y
                   : kind == sn2_binary_mul ? x * y : x / y;
      } else {
        const int64_t x = a->i[ia], y = b->i[ib];
        if (kind == sn2_binary_div && y == 0) {
          free_entry_data(&out);
          return fail(im, sn2_status_invalid_model, "integer division by zero");
        }
        out.i[k++] = kind == sn2_binary_add ? x + y : kind == sn2_binary_sub ? x - y
                   : kind == sn2_binary_mul ? x * y : x / y;
      }
    } while (next_index64(rank, dims, index));
    return define_constant(im, output_name(n, 0), &out);
  }
  uint32_t inputs[2], out;
  status = as_value(im, a, &inputs[0]);
  if (status == sn2_status_success) status = as_value(im, b, &inputs[1]);
  if (status != sn2_status_success) return status;
  union sn2_node_params p = {.binary = {.kind = kind}};
  status = emit1(im, sn2_op_binary, inputs, 2, &p, &out);
  return status == sn2_status_success ? define_value(im, output_name(n, 0), out) : status;
}

// Gives `x` new dims under the output name: a folded constant or an IR reshape.
static enum sn2_status reshape_to(struct importer* im, const Onnx__NodeProto* n, struct entry* x,
                                  uint32_t rank, const int64_t* dims) {
  const char* name = output_name(n, 0);
  if (x->kind == entry_constant) {
    struct entry out;
    enum sn2_status status = reshaped_constant(im, x, rank, dims, &out);
    if (status != sn2_status_success) {
      free_entry_data(&out);
      return status;
    }
    return define_constant(im, name, &out);
  }
  uint32_t in;
  enum sn2_status status = as_value(im, x, &in);
  if (status != sn2_status_success) return status;
  if (rank > SN2_MAX_RANK || rank == 0) {
    return fail(im, sn2_status_unsupported_parameter, "result rank %u (sn2 supports 1 to %d)",
                rank, SN2_MAX_RANK);
  }
  union sn2_node_params p = {.reshape = {.rank = rank}};
  bool same = rank == value_of(im, in)->rank;
  for (uint32_t d = 0; d < rank; d++) {
    if (dims[d] <= 0 || dims[d] > UINT32_MAX) {
      return fail(im, sn2_status_invalid_model, "result dim %u is %lld", d, (long long)dims[d]);
    }
    p.reshape.dims[d] = (uint32_t)dims[d];
    same = same && value_of(im, in)->dims[d] == p.reshape.dims[d];
  }
  if (same) return define_value(im, name, in);
  uint32_t out;
  status = emit1(im, sn2_op_reshape, &in, 1, &p, &out);
  return status == sn2_status_success ? define_value(im, name, out) : status;
}

// Axes from the attribute (opset < 13 or < 18 for ReduceMean) or from input `k`.
static enum sn2_status axes_list(struct importer* im, const Onnx__NodeProto* n, size_t k,
                                 int64_t since_opset, int64_t* axes, size_t* count) {
  const int64_t* list = NULL;
  size_t m = 0;
  if (im->opset < since_opset) {
    m = attr_ints(n, "axes", &list);
  } else if (input(im, n, k)) {
    struct entry* e;
    enum sn2_status status = need_ints(im, n, k, &e);
    if (status != sn2_status_success) return status;
    list = e->i;
    m = e->count;
  }
  if (m > MAX_CONST_RANK) return fail(im, sn2_status_invalid_model, "%zu axes", m);
  if (m) memcpy(axes, list, m * sizeof *axes);  // no list at all when there are no axes
  *count = m;
  return sn2_status_success;
}

static enum sn2_status import_unsqueeze(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  int64_t axes[MAX_CONST_RANK];
  size_t count = 0;
  if (status == sn2_status_success) status = axes_list(im, n, 1, 13, axes, &count);
  if (status != sn2_status_success) return status;
  uint32_t rank;
  int64_t dims[MAX_CONST_RANK], out[MAX_CONST_RANK];
  entry_shape(im, x, &rank, dims);
  const uint32_t out_rank = rank + (uint32_t)count;
  if (out_rank > MAX_CONST_RANK) return fail(im, sn2_status_unsupported_parameter, "rank %u", out_rank);
  bool inserted[MAX_CONST_RANK] = {false};
  for (size_t k = 0; k < count; k++) {
    uint32_t a;
    status = axis_of(im, axes[k], out_rank, &a);
    if (status != sn2_status_success) return status;
    if (inserted[a]) return fail(im, sn2_status_invalid_model, "axis %u repeats", a);
    inserted[a] = true;
  }
  for (uint32_t d = 0, s = 0; d < out_rank; d++) out[d] = inserted[d] ? 1 : dims[s++];
  return reshape_to(im, n, x, out_rank, out);
}

static enum sn2_status import_squeeze(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  int64_t axes[MAX_CONST_RANK];
  size_t count = 0;
  if (status == sn2_status_success) status = axes_list(im, n, 1, 13, axes, &count);
  if (status != sn2_status_success) return status;
  uint32_t rank, out_rank = 0;
  int64_t dims[MAX_CONST_RANK], out[MAX_CONST_RANK];
  entry_shape(im, x, &rank, dims);
  bool drop[MAX_CONST_RANK] = {false};
  for (size_t k = 0; k < count; k++) {
    uint32_t a;
    status = axis_of(im, axes[k], rank, &a);
    if (status != sn2_status_success) return status;
    if (dims[a] != 1) return fail(im, sn2_status_invalid_model, "axis %u has size %lld, not 1", a, (long long)dims[a]);
    drop[a] = true;
  }
  for (uint32_t d = 0; d < rank; d++) {
    if (count ? !drop[d] : dims[d] != 1) out[out_rank++] = dims[d];
  }
  return reshape_to(im, n, x, out_rank, out);
}

static enum sn2_status import_reshape(struct importer* im, const Onnx__NodeProto* n) {
  struct entry *x, *shape;
  enum sn2_status status = need(im, n, 0, &x);
  if (status == sn2_status_success) status = need_ints(im, n, 1, &shape);
  if (status != sn2_status_success) return status;
  uint32_t rank;
  int64_t dims[MAX_CONST_RANK], out[MAX_CONST_RANK];
  entry_shape(im, x, &rank, dims);
  if (shape->count > MAX_CONST_RANK || shape->rank != 1) {
    return fail(im, sn2_status_unsupported_parameter, "shape must be 1-D with at most %d dims", MAX_CONST_RANK);
  }
  int64_t total = 1, known = 1;
  for (uint32_t d = 0; d < rank; d++) total *= dims[d];
  int infer = -1;
  const bool allow_zero = attr_int(n, "allowzero", 0) != 0;
  for (size_t d = 0; d < shape->count; d++) {
    int64_t v = shape->i[d];
    if (v == 0 && !allow_zero) {
      if (d >= rank) return fail(im, sn2_status_invalid_model, "shape[%zu] = 0 copies a dim the input lacks", d);
      v = dims[d];
    }
    if (v == -1) {
      if (infer >= 0) return fail(im, sn2_status_invalid_model, "shape has two -1 entries");
      infer = (int)d;
      v = 1;
    } else if (v < 0) {
      return fail(im, sn2_status_invalid_model, "shape[%zu] = %lld", d, (long long)v);
    }
    out[d] = v;
    known *= v;
  }
  if (infer >= 0) {
    if (known == 0 || total % known != 0) {
      return fail(im, sn2_status_invalid_model, "cannot infer -1: %lld elements into %lld",
                  (long long)total, (long long)known);
    }
    out[infer] = total / known;
    known = total;
  }
  if (known != total) {
    return fail(im, sn2_status_invalid_model, "%lld elements cannot take shape with %lld",
                (long long)total, (long long)known);
  }
  return reshape_to(im, n, x, (uint32_t)shape->count, out);
}

static enum sn2_status import_flatten(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  if (status != sn2_status_success) return status;
  uint32_t rank, axis;
  int64_t dims[MAX_CONST_RANK];
  entry_shape(im, x, &rank, dims);
  const int64_t a = attr_int(n, "axis", 1);
  if (a == (int64_t)rank) {
    axis = rank;
  } else if ((status = axis_of(im, a, rank, &axis)) != sn2_status_success) {
    return status;
  }
  int64_t out[2] = {1, 1};
  for (uint32_t d = 0; d < rank; d++) out[d < axis ? 0 : 1] *= dims[d];
  return reshape_to(im, n, x, 2, out);
}

struct gather_map {
  uint32_t axis, index_rank;
  const int64_t* indices;
  int64_t axis_size;
  int64_t src_strides[MAX_CONST_RANK];
  uint32_t src_rank;
};

struct gather_full {
  struct gather_map base;
  int64_t index_dims[MAX_CONST_RANK];
};

static int64_t gather_index_full(const void* context, const int64_t* out) {
  const struct gather_full* g = context;
  int64_t flat = 0, k = 0;
  uint32_t o = 0;
  for (uint32_t d = 0; d < g->base.axis; d++) flat += out[o++] * g->base.src_strides[d];
  for (uint32_t d = 0; d < g->base.index_rank; d++) k = k * g->index_dims[d] + out[o++];
  int64_t i = g->base.indices[k];
  if (i < 0) i += g->base.axis_size;
  flat += i * g->base.src_strides[g->base.axis];
  for (uint32_t d = g->base.axis + 1; d < g->base.src_rank; d++) flat += out[o++] * g->base.src_strides[d];
  return flat;
}

static enum sn2_status import_gather(struct importer* im, const Onnx__NodeProto* n) {
  struct entry *x, *indices;
  enum sn2_status status = need(im, n, 0, &x);
  if (status == sn2_status_success) status = need_ints(im, n, 1, &indices);
  if (status != sn2_status_success) return status;
  uint32_t rank, axis;
  int64_t dims[MAX_CONST_RANK];
  entry_shape(im, x, &rank, dims);
  status = axis_of(im, attr_int(n, "axis", 0), rank, &axis);
  if (status != sn2_status_success) return status;
  for (size_t k = 0; k < indices->count; k++) {
    if (indices->i[k] < -dims[axis] || indices->i[k] >= dims[axis]) {
      return fail(im, sn2_status_invalid_model, "index %lld is out of range for %lld",
                  (long long)indices->i[k], (long long)dims[axis]);
    }
  }
  const uint32_t out_rank = rank - 1 + indices->rank;
  if (out_rank > MAX_CONST_RANK) return fail(im, sn2_status_unsupported_parameter, "rank %u", out_rank);
  int64_t out_dims[MAX_CONST_RANK];
  uint32_t o = 0;
  for (uint32_t d = 0; d < axis; d++) out_dims[o++] = dims[d];
  for (uint32_t d = 0; d < indices->rank; d++) out_dims[o++] = indices->dims[d];
  for (uint32_t d = axis + 1; d < rank; d++) out_dims[o++] = dims[d];
  if (x->kind == entry_constant) {
    struct gather_full g;
    memset(&g, 0, sizeof g);
    g.base.axis = axis;
    g.base.index_rank = indices->rank;
    g.base.indices = indices->i;
    g.base.axis_size = dims[axis];
    g.base.src_rank = rank;
    row_major_strides(rank, dims, g.base.src_strides);
    memcpy(g.index_dims, indices->dims, indices->rank * sizeof *indices->dims);
    return fold_gathering(im, x, out_rank, out_dims, gather_index_full, &g, output_name(n, 0));
  }
  uint32_t in, out;
  status = as_value(im, x, &in);
  if (status != sn2_status_success) return status;
  if (indices->rank > SN2_MAX_RANK) return fail(im, sn2_status_unsupported_parameter, "index rank %u", indices->rank);
  union sn2_node_params p = {.gather = {.axis = axis, .index_rank = indices->rank}};
  for (uint32_t d = 0; d < indices->rank; d++) p.gather.index_dims[d] = (uint32_t)indices->dims[d];
  p.gather.indices = malloc((indices->count ? indices->count : 1) * sizeof(int64_t));
  if (!p.gather.indices) return fail(im, sn2_status_out_of_memory, "out of memory");
  for (size_t k = 0; k < indices->count; k++) {
    p.gather.indices[k] = indices->i[k] < 0 ? indices->i[k] + dims[axis] : indices->i[k];
  }
  status = emit1(im, sn2_op_gather, &in, 1, &p, &out);
  return status == sn2_status_success ? define_value(im, output_name(n, 0), out) : status;
}

static enum sn2_status import_concat(struct importer* im, const Onnx__NodeProto* n) {
  if (n->n_input == 0) return fail(im, sn2_status_invalid_model, "no inputs");
  struct entry* first;
  enum sn2_status status = need(im, n, 0, &first);
  if (status != sn2_status_success) return status;
  uint32_t rank, axis;
  int64_t dims[MAX_CONST_RANK];
  entry_shape(im, first, &rank, dims);
  status = axis_of(im, attr_int(n, "axis", 0), rank, &axis);
  if (status != sn2_status_success) return status;
  bool all_constant = true;
  int64_t total = 0;
  for (size_t k = 0; k < n->n_input; k++) {
    struct entry* e;
    if ((status = need(im, n, k, &e)) != sn2_status_success) return status;
    uint32_t r = 0;
    int64_t d[MAX_CONST_RANK] = {0};
    entry_shape(im, e, &r, d);
    bool same = r == rank;
    for (uint32_t a = 0; same && a < rank; a++) same = a == axis || d[a] == dims[a];
    if (!same) return fail(im, sn2_status_invalid_model, "input %zu differs from input 0 outside axis %u", k, axis);
    total += d[axis];
    all_constant = all_constant && e->kind == entry_constant && e->is_float == first->is_float;
  }
  if (all_constant) {
    int64_t out_dims[MAX_CONST_RANK];
    memcpy(out_dims, dims, rank * sizeof *dims);
    out_dims[axis] = total;
    struct entry out = make_constant(first->is_float, rank, out_dims);
    out.dtype = first->dtype;
    if ((status = allocate(im, &out)) != sn2_status_success) return status;
    // Row-major: each input contributes blocks of (its axis extent x inner size).
    size_t inner = 1, outer = 1;
    for (uint32_t a = axis + 1; a < rank; a++) inner *= (size_t)dims[a];
    for (uint32_t a = 0; a < axis; a++) outer *= (size_t)dims[a];
    size_t k = 0;
    for (size_t o = 0; o < outer; o++) {
      for (size_t m = 0; m < n->n_input; m++) {
        const struct entry* e = input(im, n, m);
        const size_t block = (size_t)e->dims[axis] * inner;
        for (size_t q = 0; q < block; q++) copy_element(&out, k++, e, o * block + q);
      }
    }
    return define_constant(im, output_name(n, 0), &out);
  }
  uint32_t* inputs = malloc(n->n_input * sizeof *inputs);
  if (!inputs) return fail(im, sn2_status_out_of_memory, "out of memory");
  for (size_t k = 0; k < n->n_input && status == sn2_status_success; k++) {
    status = as_value(im, input(im, n, k), &inputs[k]);
  }
  uint32_t out;
  union sn2_node_params p = {.axis = {.axis = axis}};
  if (status == sn2_status_success) status = emit1(im, sn2_op_concat, inputs, (uint32_t)n->n_input, &p, &out);
  free(inputs);
  return status == sn2_status_success ? define_value(im, output_name(n, 0), out) : status;
}

struct permute_map {
  uint32_t rank;
  int64_t strides[MAX_CONST_RANK];  // source stride of each output axis
  int64_t offset;
};

static int64_t permute_index(const void* context, const int64_t* out) {
  const struct permute_map* m = context;
  int64_t flat = m->offset;
  for (uint32_t d = 0; d < m->rank; d++) flat += out[d] * m->strides[d];
  return flat;
}

static enum sn2_status import_transpose(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  if (status != sn2_status_success) return status;
  uint32_t rank;
  int64_t dims[MAX_CONST_RANK];
  entry_shape(im, x, &rank, dims);
  const int64_t* perm_attr;
  const size_t given = attr_ints(n, "perm", &perm_attr);
  uint32_t perm[MAX_CONST_RANK], seen = 0;
  if (given && given != rank) return fail(im, sn2_status_invalid_model, "perm has %zu entries for rank %u", given, rank);
  for (uint32_t d = 0; d < rank; d++) {
    const int64_t a = given ? perm_attr[d] : (int64_t)(rank - 1 - d);
    if (a < 0 || a >= rank || (seen >> a & 1)) return fail(im, sn2_status_invalid_model, "perm is not a permutation");
    seen |= 1u << a;
    perm[d] = (uint32_t)a;
  }
  if (x->kind == entry_constant) {
    struct permute_map m = {.rank = rank};
    int64_t src[MAX_CONST_RANK], out_dims[MAX_CONST_RANK];
    row_major_strides(rank, dims, src);
    for (uint32_t d = 0; d < rank; d++) m.strides[d] = src[perm[d]], out_dims[d] = dims[perm[d]];
    return fold_gathering(im, x, rank, out_dims, permute_index, &m, output_name(n, 0));
  }
  uint32_t in, out;
  if ((status = as_value(im, x, &in)) != sn2_status_success) return status;
  union sn2_node_params p;
  memset(&p, 0, sizeof p);
  memcpy(p.transpose.perm, perm, rank * sizeof *perm);
  status = emit1(im, sn2_op_transpose, &in, 1, &p, &out);
  return status == sn2_status_success ? define_value(im, output_name(n, 0), out) : status;
}

static enum sn2_status import_slice(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  if (status != sn2_status_success) return status;
  uint32_t rank;
  int64_t dims[MAX_CONST_RANK];
  entry_shape(im, x, &rank, dims);
  const int64_t *starts = NULL, *ends = NULL, *axes = NULL, *steps = NULL;
  size_t count, axes_count = 0, steps_count = 0;
  if (im->opset < 10) {
    count = attr_ints(n, "starts", &starts);
    if (attr_ints(n, "ends", &ends) != count) return fail(im, sn2_status_invalid_model, "starts and ends differ in length");
    axes_count = attr_ints(n, "axes", &axes);
  } else {
    struct entry *s, *e, *a = NULL, *st = NULL;
    if ((status = need_ints(im, n, 1, &s)) != sn2_status_success) return status;
    if ((status = need_ints(im, n, 2, &e)) != sn2_status_success) return status;
    if (input(im, n, 3) && (status = need_ints(im, n, 3, &a)) != sn2_status_success) return status;
    if (input(im, n, 4) && (status = need_ints(im, n, 4, &st)) != sn2_status_success) return status;
    starts = s->i, ends = e->i, count = s->count;
    if (e->count != count) return fail(im, sn2_status_invalid_model, "starts and ends differ in length");
    if (a) axes = a->i, axes_count = a->count;
    if (st) steps = st->i, steps_count = st->count;
  }
  if ((axes && axes_count != count) || (steps && steps_count != count) || count > rank) {
    return fail(im, sn2_status_invalid_model, "starts, ends, axes and steps must have equal length <= rank");
  }
  int64_t start[MAX_CONST_RANK], step[MAX_CONST_RANK], out_dims[MAX_CONST_RANK];
  for (uint32_t d = 0; d < rank; d++) start[d] = 0, step[d] = 1, out_dims[d] = dims[d];
  uint32_t sliced = 0;
  for (size_t k = 0; k < count; k++) {
    uint32_t a;
    if ((status = axis_of(im, axes ? axes[k] : (int64_t)k, rank, &a)) != sn2_status_success) return status;
    if (sliced >> a & 1) return fail(im, sn2_status_invalid_model, "axis %u repeats", a);
    sliced |= 1u << a;
    const int64_t dim = dims[a], s = steps ? steps[k] : 1;
    if (s == 0) return fail(im, sn2_status_invalid_model, "step 0");
    int64_t b = starts[k], e = ends[k];
    // The spec's clamping: [0, dim] stepping forward; start [0, dim - 1] and end [-1, dim - 1]
    // stepping backward. Ends like INT64_MAX mean "to the end".
    if (b < 0) b = b < -dim ? -dim - 1 : b + dim;
    if (e < 0) e = e < -dim ? -dim - 1 : e + dim;
    if (s > 0) {
      b = b < 0 ? 0 : b > dim ? dim : b;
      e = e < 0 ? 0 : e > dim ? dim : e;
      out_dims[a] = e > b ? (e - b + s - 1) / s : 0;
    } else {
      b = b < 0 ? 0 : b > dim - 1 ? dim - 1 : b;
      e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
      out_dims[a] = b > e ? (b - e + (-s) - 1) / (-s) : 0;
    }
    start[a] = b;
    step[a] = s;
  }
  if (x->kind == entry_constant) {
    struct permute_map m = {.rank = rank};
    int64_t src[MAX_CONST_RANK];
    row_major_strides(rank, dims, src);
    for (uint32_t d = 0; d < rank; d++) {
      m.strides[d] = src[d] * step[d];
      m.offset += start[d] * src[d];
    }
    return fold_gathering(im, x, rank, out_dims, permute_index, &m, output_name(n, 0));
  }
  union sn2_node_params p;
  memset(&p, 0, sizeof p);
  for (uint32_t d = 0; d < rank; d++) {
    if (out_dims[d] == 0) {
      return fail(im, sn2_status_unsupported_parameter, "the slice of axis %u is empty", d);
    }
    p.slice.starts[d] = start[d];
    p.slice.steps[d] = step[d];
    p.slice.counts[d] = (uint32_t)out_dims[d];
  }
  uint32_t in, out;
  if ((status = as_value(im, x, &in)) != sn2_status_success) return status;
  status = emit1(im, sn2_op_slice, &in, 1, &p, &out);
  return status == sn2_status_success ? define_value(im, output_name(n, 0), out) : status;
}

static enum sn2_status import_split(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  if (status != sn2_status_success) return status;
  uint32_t rank, axis;
  int64_t dims[MAX_CONST_RANK];
  entry_shape(im, x, &rank, dims);
  if ((status = axis_of(im, attr_int(n, "axis", 0), rank, &axis)) != sn2_status_success) return status;
  const size_t outputs = n->n_output;
  if (outputs == 0 || outputs > 65536) return fail(im, sn2_status_invalid_model, "%zu outputs", outputs);
  uint32_t* sizes = calloc(outputs, sizeof *sizes);
  uint32_t* values = calloc(outputs, sizeof *values);
  if (!sizes || !values) {
    free(sizes), free(values);
    return fail(im, sn2_status_out_of_memory, "out of memory");
  }
  const int64_t* given = NULL;
  size_t given_count = 0;
  if (im->opset < 13) {
    given_count = attr_ints(n, "split", &given);
  } else if (input(im, n, 1)) {
    struct entry* s;
    if ((status = need_ints(im, n, 1, &s)) == sn2_status_success) given = s->i, given_count = s->count;
  }
  int64_t total = 0;
  if (status == sn2_status_success && given) {
    if (given_count != outputs) status = fail(im, sn2_status_invalid_model, "split has %zu sizes for %zu outputs", given_count, outputs);
    for (size_t k = 0; status == sn2_status_success && k < outputs; k++) {
      if (given[k] < 0 || given[k] > UINT32_MAX) status = fail(im, sn2_status_invalid_model, "split size %lld", (long long)given[k]);
      else sizes[k] = (uint32_t)given[k], total += given[k];
    }
  } else if (status == sn2_status_success) {
    // Equal parts; the last one smaller when the axis does not divide (opset 18).
    const int64_t part = (dims[axis] + (int64_t)outputs - 1) / (int64_t)outputs;
    for (size_t k = 0; k < outputs; k++) {
      const int64_t left = dims[axis] - total;
      sizes[k] = (uint32_t)(left < part ? (left > 0 ? left : 0) : part);
      total += sizes[k];
    }
  }
  if (status == sn2_status_success && total != dims[axis]) {
    status = fail(im, sn2_status_invalid_model, "sizes sum to %lld, axis %u has %lld",
                  (long long)total, axis, (long long)dims[axis]);
  }
  if (status == sn2_status_success && x->kind == entry_constant) {
    int64_t offset = 0;
    for (size_t k = 0; k < outputs && status == sn2_status_success; k++) {
      struct permute_map m = {.rank = rank};
      int64_t src[MAX_CONST_RANK], out_dims[MAX_CONST_RANK];
      row_major_strides(rank, dims, src);
      memcpy(out_dims, dims, rank * sizeof *dims);
      out_dims[axis] = sizes[k];
      memcpy(m.strides, src, rank * sizeof *src);
      m.offset = offset * src[axis];
      status = fold_gathering(im, x, rank, out_dims, permute_index, &m, output_name(n, k));
      offset += sizes[k];
    }
  } else if (status == sn2_status_success) {
    uint32_t in;
    union sn2_node_params p = {.axis = {.axis = axis}};
    status = as_value(im, x, &in);
    if (status == sn2_status_success) {
      status = emit(im, NULL, sn2_op_split, &in, 1, &p, (uint32_t)outputs, sizes, values);
    }
    for (size_t k = 0; k < outputs && status == sn2_status_success; k++) {
      status = define_value(im, output_name(n, k), values[k]);
    }
  }
  free(sizes);
  free(values);
  return status;
}

// --- Feature-map ops --------------------------------------------------------------------------

static enum sn2_status rank4_value(struct importer* im, struct entry* x, uint32_t* value) {
  enum sn2_status status = as_value(im, x, value);
  if (status != sn2_status_success) return status;
  const uint32_t rank = value_of(im, *value)->rank;
  if (rank != 4) {
    return fail(im, sn2_status_unsupported_parameter,
                "input '%s' has rank %u; sn2 supports the 2-D (rank-4, N C H W) form only%s",
                x->name, rank, rank == 3 ? " (1-D is not supported)" : rank == 5 ? " (3-D is not supported)" : "");
  }
  return sn2_status_success;
}

// Pads [top, left, bottom, right] from pads/auto_pad for a window op on an h x w input.
static enum sn2_status window_pads(struct importer* im, const Onnx__NodeProto* n, uint32_t h,
                                   uint32_t w, const uint32_t kernel[2], const uint32_t stride[2],
                                   const uint32_t dilation[2], uint32_t pads[4]) {
  const uint32_t in[2] = {h, w};
  memset(pads, 0, 4 * sizeof *pads);
  const bool upper = attr_string_is(n, "auto_pad", "SAME_UPPER", "NOTSET");
  const bool lower = attr_string_is(n, "auto_pad", "SAME_LOWER", "NOTSET");
  if (upper || lower) {
    for (int a = 0; a < 2; a++) {
      const int64_t out = ((int64_t)in[a] + stride[a] - 1) / stride[a];
      int64_t total = (out - 1) * stride[a] + (int64_t)(kernel[a] - 1) * dilation[a] + 1 - in[a];
      if (total < 0) total = 0;
      const int64_t small = total / 2, large = total - small;
      pads[a] = (uint32_t)(upper ? small : large);
      pads[a + 2] = (uint32_t)(upper ? large : small);
    }
    return sn2_status_success;
  }
  if (!attr_string_is(n, "auto_pad", "NOTSET", "NOTSET") && !attr_string_is(n, "auto_pad", "VALID", "NOTSET")) {
    return fail(im, sn2_status_invalid_model, "unknown auto_pad");
  }
  if (attr_string_is(n, "auto_pad", "VALID", "NOTSET")) return sn2_status_success;
  const int64_t* given;
  const size_t count = attr_ints(n, "pads", &given);
  if (count == 0) return sn2_status_success;
  if (count != 4) return fail(im, sn2_status_invalid_model, "pads has %zu entries, needs 4", count);
  for (int k = 0; k < 4; k++) {
    if (given[k] < 0 || given[k] > 65536) return fail(im, sn2_status_unsupported_parameter, "pad %lld", (long long)given[k]);
  }
  // ONNX order: begins (top, left) then ends (bottom, right).
  pads[0] = (uint32_t)given[0], pads[1] = (uint32_t)given[1];
  pads[2] = (uint32_t)given[2], pads[3] = (uint32_t)given[3];
  return sn2_status_success;
}

// Two-element int attributes (strides, dilations, kernel_shape), each >= 1.
static enum sn2_status pair_attr(struct importer* im, const Onnx__NodeProto* n, const char* name,
                                 uint32_t fallback, uint32_t out[2]) {
  const int64_t* v;
  const size_t count = attr_ints(n, name, &v);
  if (count == 0) {
    out[0] = out[1] = fallback;
    return sn2_status_success;
  }
  if (count != 2 || v[0] < 1 || v[1] < 1 || v[0] > 65536 || v[1] > 65536) {
    return fail(im, sn2_status_unsupported_parameter, "%s must be two values in [1, 65536]", name);
  }
  out[0] = (uint32_t)v[0];
  out[1] = (uint32_t)v[1];
  return sn2_status_success;
}

static enum sn2_status import_conv(struct importer* im, const Onnx__NodeProto* n) {
  struct entry *x, *w, *b = input(im, n, 2);
  enum sn2_status status = need(im, n, 0, &x);
  if (status == sn2_status_success) status = need(im, n, 1, &w);
  if (status != sn2_status_success) return status;
  uint32_t in;
  if ((status = rank4_value(im, x, &in)) != sn2_status_success) return status;
  if (w->kind != entry_constant || !w->is_float || w->rank != 4) {
    return fail(im, sn2_status_unsupported_parameter, "weights '%s' must be a constant 4-D float tensor", w->name);
  }
  if (b && (b->kind != entry_constant || !b->is_float || b->count != (size_t)w->dims[0])) {
    return fail(im, sn2_status_unsupported_parameter, "bias '%s' must be a constant of %lld floats", b->name, (long long)w->dims[0]);
  }
  const struct sn2_value* xv = value_of(im, in);
  const int64_t group = attr_int(n, "group", 1);
  if (group < 1 || group > xv->dims[1]) return fail(im, sn2_status_invalid_model, "group %lld", (long long)group);
  uint32_t kernel[2], stride[2], dilation[2], pads[4];
  if ((status = pair_attr(im, n, "kernel_shape", 0, kernel)) != sn2_status_success) return status;
  if (kernel[0] == 0) kernel[0] = (uint32_t)w->dims[2], kernel[1] = (uint32_t)w->dims[3];
  if (kernel[0] != w->dims[2] || kernel[1] != w->dims[3]) {
    return fail(im, sn2_status_invalid_model, "kernel_shape %ux%u differs from the weights' %lldx%lld",
                kernel[0], kernel[1], (long long)w->dims[2], (long long)w->dims[3]);
  }
  if ((status = pair_attr(im, n, "strides", 1, stride)) != sn2_status_success) return status;
  if ((status = pair_attr(im, n, "dilations", 1, dilation)) != sn2_status_success) return status;
  if ((status = window_pads(im, n, xv->dims[2], xv->dims[3], kernel, stride, dilation, pads)) != sn2_status_success) return status;
  const size_t out_c = (size_t)w->dims[0], group_in = (size_t)w->dims[1], kh = kernel[0], kw = kernel[1];
  if (group_in * (size_t)group != xv->dims[1]) {
    return fail(im, sn2_status_invalid_model, "input has %u channels, weights expect %zu x %lld groups",
                xv->dims[1], group_in, (long long)group);
  }
  union sn2_node_params p = {.conv2d = {
      .kernel_h = kernel[0], .kernel_w = kernel[1], .stride_h = stride[0], .stride_w = stride[1],
      .dilation_h = dilation[0], .dilation_w = dilation[1],
      .pad_top = pads[0], .pad_left = pads[1], .pad_bottom = pads[2], .pad_right = pads[3],
      .groups = (uint32_t)group, .input_channels = xv->dims[1], .output_channels = (uint32_t)out_c,
      .output_min = -INFINITY, .output_max = INFINITY}};
  p.conv2d.weights = malloc(w->count * sizeof(float));
  if (b) p.conv2d.bias = malloc(out_c * sizeof(float));
  if (!p.conv2d.weights || (b && !p.conv2d.bias)) {
    sn2_node_params_free(sn2_op_conv2d, &p);
    return fail(im, sn2_status_out_of_memory, "out of memory");
  }
  // ONNX [O][I/g][kh][kw] -> sn2 [O][kh][kw][I/g].
  for (size_t o = 0; o < out_c; o++)
    for (size_t i = 0; i < group_in; i++)
      for (size_t y = 0; y < kh; y++)
        for (size_t xk = 0; xk < kw; xk++) {
          p.conv2d.weights[((o * kh + y) * kw + xk) * group_in + i] = w->f[((o * group_in + i) * kh + y) * kw + xk];
        }
  if (b) memcpy(p.conv2d.bias, b->f, out_c * sizeof(float));
  uint32_t out;
  status = emit1(im, sn2_op_conv2d, &in, 1, &p, &out);
  return status == sn2_status_success ? define_value(im, output_name(n, 0), out) : status;
}

static enum sn2_status import_batchnorm(struct importer* im, const Onnx__NodeProto* n) {
  if (attr_int(n, "training_mode", 0) != 0 || (n->n_output > 1 && output_name(n, 1)[0])) {
    return fail(im, sn2_status_unsupported_parameter, "training mode is not supported (inference only)");
  }
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  uint32_t in;
  if (status == sn2_status_success) status = rank4_value(im, x, &in);
  if (status != sn2_status_success) return status;
  const uint32_t channels = value_of(im, in)->dims[1];
  union sn2_node_params p = {.batchnorm = {.channels = channels, .epsilon = attr_float(n, "epsilon", 1e-5f)}};
  float** fields[4] = {&p.batchnorm.scale, &p.batchnorm.bias, &p.batchnorm.mean, &p.batchnorm.var};
  for (size_t k = 0; k < 4; k++) {
    struct entry* e;
    if ((status = need(im, n, k + 1, &e)) != sn2_status_success) break;
    if (e->kind != entry_constant || !e->is_float || e->count != channels) {
      status = fail(im, sn2_status_unsupported_parameter, "'%s' must be a constant of %u floats", e->name, channels);
      break;
    }
    *fields[k] = malloc(channels * sizeof(float));
    if (!*fields[k]) {
      status = fail(im, sn2_status_out_of_memory, "out of memory");
      break;
    }
    memcpy(*fields[k], e->f, channels * sizeof(float));
  }
  if (status != sn2_status_success) {
    sn2_node_params_free(sn2_op_batchnorm, &p);
    return status;
  }
  uint32_t out;
  status = emit1(im, sn2_op_batchnorm, &in, 1, &p, &out);
  return status == sn2_status_success ? define_value(im, output_name(n, 0), out) : status;
}

static enum sn2_status emit_clamp(struct importer* im, struct entry* x, float lo, float hi,
                                  const char* name) {
  uint32_t in, out;
  enum sn2_status status = as_value(im, x, &in);
  if (status != sn2_status_success) return status;
  union sn2_node_params p = {.clamp = {.min = lo, .max = hi}};
  status = emit1(im, sn2_op_clamp, &in, 1, &p, &out);
  return status == sn2_status_success ? define_value(im, name, out) : status;
}

static enum sn2_status import_relu(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  return status == sn2_status_success ? emit_clamp(im, x, 0.0f, INFINITY, output_name(n, 0)) : status;
}

static enum sn2_status import_clip(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  if (status != sn2_status_success) return status;
  float bounds[2] = {-INFINITY, INFINITY};
  if (im->opset < 11) {
    bounds[0] = attr_float(n, "min", -INFINITY);
    bounds[1] = attr_float(n, "max", INFINITY);
  } else {
    for (size_t k = 0; k < 2; k++) {
      struct entry* e = input(im, n, k + 1);
      if (!e) continue;
      if (e->kind != entry_constant || e->count != 1) {
        return fail(im, sn2_status_unsupported_parameter, "the %s bound must be a constant scalar", k ? "max" : "min");
      }
      bounds[k] = (float)const_at(e, 0);
    }
  }
  if (bounds[0] > bounds[1]) {
    // ONNX: min > max sets every element to max.
    bounds[0] = bounds[1];
  }
  return emit_clamp(im, x, bounds[0], bounds[1], output_name(n, 0));
}

static enum sn2_status import_pool(struct importer* im, const Onnx__NodeProto* n) {
  const bool max = strcmp(im->op_type, "MaxPool") == 0;
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  uint32_t in;
  if (status == sn2_status_success) status = rank4_value(im, x, &in);
  if (status != sn2_status_success) return status;
  if (max && n->n_output > 1 && output_name(n, 1)[0]) {
    return fail(im, sn2_status_unsupported_parameter, "the Indices output is not supported");
  }
  if (attr_int(n, "storage_order", 0) != 0) return fail(im, sn2_status_unsupported_parameter, "storage_order 1");
  uint32_t kernel[2], stride[2], dilation[2], pads[4];
  if ((status = pair_attr(im, n, "kernel_shape", 0, kernel)) != sn2_status_success) return status;
  if (kernel[0] == 0) return fail(im, sn2_status_invalid_model, "kernel_shape is required");
  if ((status = pair_attr(im, n, "strides", 1, stride)) != sn2_status_success) return status;
  if ((status = pair_attr(im, n, "dilations", 1, dilation)) != sn2_status_success) return status;
  if (dilation[0] != 1 || dilation[1] != 1) return fail(im, sn2_status_unsupported_parameter, "dilated pooling");
  const struct sn2_value* xv = value_of(im, in);
  if ((status = window_pads(im, n, xv->dims[2], xv->dims[3], kernel, stride, dilation, pads)) != sn2_status_success) return status;
  const bool include_pad = attr_int(n, "count_include_pad", 0) != 0;
  if (attr_int(n, "ceil_mode", 0)) {
    // Ceil mode = extra padding at the end, enough for one more window where one starts
    // inside the input or its begin padding.
    for (int a = 0; a < 2; a++) {
      const int64_t size = (int64_t)xv->dims[2 + a] + pads[a] + pads[a + 2] - kernel[a];
      if (size < 0) break;
      int64_t out = (size + stride[a] - 1) / stride[a] + 1;
      if ((out - 1) * stride[a] >= (int64_t)xv->dims[2 + a] + pads[a]) out--;
      const int64_t extra = (out - 1) * stride[a] + kernel[a] - ((int64_t)xv->dims[2 + a] + pads[a] + pads[a + 2]);
      if (extra > 0) {
        if (!max && include_pad) {
          return fail(im, sn2_status_unsupported_parameter, "ceil_mode with count_include_pad");
        }
        pads[a + 2] += (uint32_t)extra;
      }
    }
  }
  union sn2_node_params p = {.pool = {
      .kernel_h = kernel[0], .kernel_w = kernel[1], .stride_h = stride[0], .stride_w = stride[1],
      .pad_top = pads[0], .pad_left = pads[1], .pad_bottom = pads[2], .pad_right = pads[3],
      .count_include_pad = include_pad}};
  uint32_t out;
  status = emit1(im, max ? sn2_op_max_pool : sn2_op_avg_pool, &in, 1, &p, &out);
  return status == sn2_status_success ? define_value(im, output_name(n, 0), out) : status;
}

static enum sn2_status import_global_avg_pool(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  uint32_t in, out;
  if (status == sn2_status_success) status = rank4_value(im, x, &in);
  if (status == sn2_status_success) status = emit1(im, sn2_op_global_avg_pool, &in, 1, NULL, &out);
  return status == sn2_status_success ? define_value(im, output_name(n, 0), out) : status;
}

static enum sn2_status import_reduce_mean(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  int64_t axes[MAX_CONST_RANK];
  size_t count = 0;
  if (status == sn2_status_success) status = axes_list(im, n, 1, 18, axes, &count);
  uint32_t in, out;
  if (status == sn2_status_success) status = as_value(im, x, &in);
  if (status != sn2_status_success) return status;
  const struct sn2_value* xv = value_of(im, in);
  const bool keepdims = attr_int(n, "keepdims", 1) != 0;
  uint32_t mask = 0;
  for (size_t k = 0; k < count; k++) {
    uint32_t a;
    if ((status = axis_of(im, axes[k], xv->rank, &a)) != sn2_status_success) return status;
    mask |= 1u << a;
  }
  if (count == 0) {
    if (attr_int(n, "noop_with_empty_axes", 0)) return alias(im, output_name(n, 0), x);
    mask = (1u << xv->rank) - 1;
  }
  if (xv->rank == 4 && mask == 0xC) {
    // The mean over H and W is a global average pool (then dropping the 1x1, if asked).
    if ((status = emit(im, "pool", sn2_op_global_avg_pool, &in, 1, NULL, 1, NULL, &out)) != sn2_status_success) return status;
    if (!keepdims) {
      union sn2_node_params p = {.reshape = {.rank = 2, .dims = {xv->dims[0], xv->dims[1]}}};
      const uint32_t pooled = out;
      if ((status = emit(im, "flatten", sn2_op_reshape, &pooled, 1, &p, 1, NULL, &out)) != sn2_status_success) return status;
    }
    return define_value(im, output_name(n, 0), out);
  }
  union sn2_node_params p = {.reduce = {.axes_mask = mask, .keepdims = keepdims}};
  status = emit1(im, sn2_op_reduce_mean, &in, 1, &p, &out);
  return status == sn2_status_success ? define_value(im, output_name(n, 0), out) : status;
}

static enum sn2_status import_softmax(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  uint32_t in, out, axis;
  if (status == sn2_status_success) status = as_value(im, x, &in);
  if (status != sn2_status_success) return status;
  const bool coerce = im->opset < 13;
  status = axis_of(im, attr_int(n, "axis", coerce ? 1 : -1), value_of(im, in)->rank, &axis);
  if (status != sn2_status_success) return status;
  union sn2_node_params p = {.softmax = {.axis = axis, .coerce_2d = coerce}};
  status = emit1(im, sn2_op_softmax, &in, 1, &p, &out);
  return status == sn2_status_success ? define_value(im, output_name(n, 0), out) : status;
}

// --- Linear algebra ---------------------------------------------------------------------------

// Y = A W^T (+ bias) with W [n][k] given row-major; A must be [M, K] at runtime.
static enum sn2_status emit_fully_connected(struct importer* im, uint32_t a, const float* w,
                                            uint32_t n_out, uint32_t k, float* bias,
                                            uint32_t* out) {
  union sn2_node_params p = {.fully_connected = {
      .input_channels = k, .output_channels = n_out,
      .output_min = -INFINITY, .output_max = INFINITY, .bias = bias}};
  p.fully_connected.weights = malloc((size_t)n_out * k * sizeof(float));
  if (!p.fully_connected.weights) {
    free(bias);
    return fail(im, sn2_status_out_of_memory, "out of memory");
  }
  memcpy(p.fully_connected.weights, w, (size_t)n_out * k * sizeof(float));
  return emit1(im, sn2_op_fully_connected, &a, 1, &p, out);
}

static enum sn2_status import_gemm(struct importer* im, const Onnx__NodeProto* n) {
  struct entry *a, *b, *c = input(im, n, 2);
  enum sn2_status status = need(im, n, 0, &a);
  if (status == sn2_status_success) status = need(im, n, 1, &b);
  if (status != sn2_status_success) return status;
  if (b->kind != entry_constant || !b->is_float || b->rank != 2) {
    return fail(im, sn2_status_unsupported_parameter, "B ('%s') must be a constant 2-D float tensor", b->name);
  }
  const float alpha = attr_float(n, "alpha", 1.0f), beta = attr_float(n, "beta", 1.0f);
  const bool trans_a = attr_int(n, "transA", 0) != 0, trans_b = attr_int(n, "transB", 0) != 0;
  uint32_t in;
  if ((status = as_value(im, a, &in)) != sn2_status_success) return status;
  if (value_of(im, in)->rank != 2) return fail(im, sn2_status_invalid_model, "A must be 2-D");
  if (trans_a) {
    union sn2_node_params t = {.transpose = {.perm = {1, 0}}};
    if ((status = emit(im, "transA", sn2_op_transpose, &in, 1, &t, 1, NULL, &in)) != sn2_status_success) return status;
  }
  const uint32_t m = value_of(im, in)->dims[0], k = value_of(im, in)->dims[1];
  const uint32_t n_out = (uint32_t)(trans_b ? b->dims[0] : b->dims[1]);
  if ((trans_b ? b->dims[1] : b->dims[0]) != k) {
    return fail(im, sn2_status_invalid_model, "A has %u columns, B has %lld rows", k,
                (long long)(trans_b ? b->dims[1] : b->dims[0]));
  }
  float* w = malloc((size_t)n_out * k * sizeof *w);
  if (!w) return fail(im, sn2_status_out_of_memory, "out of memory");
  for (size_t j = 0; j < n_out; j++)
    for (size_t q = 0; q < k; q++) w[j * k + q] = alpha * (trans_b ? b->f[j * k + q] : b->f[q * n_out + j]);
  // C folds into the bias when it is one value per output column.
  float* bias = NULL;
  bool c_as_bias = false;
  if (c) {
    if (c->kind != entry_constant || !c->is_float) {
      free(w);
      return fail(im, sn2_status_unsupported_parameter, "C ('%s') must be a constant float tensor", c->name);
    }
    c_as_bias = c->count == 1 || (c->count == n_out && (c->rank == 1 || (c->rank == 2 && c->dims[0] == 1)));
    if (c_as_bias) {
      bias = malloc(n_out * sizeof *bias);
      if (!bias) {
        free(w);
        return fail(im, sn2_status_out_of_memory, "out of memory");
      }
      for (size_t j = 0; j < n_out; j++) bias[j] = beta * c->f[c->count == 1 ? 0 : j];
    }
  }
  uint32_t out;
  status = emit_fully_connected(im, in, w, n_out, k, bias, &out);
  free(w);
  if (status == sn2_status_success && c && !c_as_bias) {
    // A full [M, N] (or broadcast) C: add beta * C.
    float* scaled = malloc(c->count * sizeof *scaled);
    uint32_t dims[2] = {1, 1}, cv, sum;
    if (!scaled) return fail(im, sn2_status_out_of_memory, "out of memory");
    for (size_t q = 0; q < c->count; q++) scaled[q] = beta * c->f[q];
    for (uint32_t d = 0; d < c->rank && d < 2; d++) dims[d + (c->rank == 1)] = (uint32_t)c->dims[d];
    (void)m;
    status = sn2_graph_add_constant(im->graph, c->name, 2, dims, scaled, &cv);
    union sn2_node_params p = {.binary = {.kind = sn2_binary_add}};
    const uint32_t pair[2] = {out, cv};
    if (status == sn2_status_success) status = emit(im, "addC", sn2_op_binary, pair, 2, &p, 1, NULL, &sum);
    out = sum;
  }
  return status == sn2_status_success ? define_value(im, output_name(n, 0), out) : status;
}

static enum sn2_status import_matmul(struct importer* im, const Onnx__NodeProto* n) {
  struct entry *a, *b;
  enum sn2_status status = need(im, n, 0, &a);
  if (status == sn2_status_success) status = need(im, n, 1, &b);
  if (status != sn2_status_success) return status;
  uint32_t ia, out;
  if ((status = as_value(im, a, &ia)) != sn2_status_success) return status;
  const struct sn2_value* av = value_of(im, ia);
  if (a->kind != entry_constant && b->kind == entry_constant && b->is_float && b->rank == 2 &&
      av->rank == 2 && av->dims[1] == b->dims[0]) {
    // [M, K] x constant [K, N]: a fully-connected layer with W = B^T.
    const uint32_t k = (uint32_t)b->dims[0], n_out = (uint32_t)b->dims[1];
    float* w = malloc((size_t)n_out * k * sizeof *w);
    if (!w) return fail(im, sn2_status_out_of_memory, "out of memory");
    for (size_t j = 0; j < n_out; j++)
      for (size_t q = 0; q < k; q++) w[j * k + q] = b->f[q * n_out + j];
    status = emit_fully_connected(im, ia, w, n_out, k, NULL, &out);
    free(w);
  } else {
    uint32_t ib;
    if ((status = as_value(im, b, &ib)) != sn2_status_success) return status;
    const uint32_t pair[2] = {ia, ib};
    status = emit1(im, sn2_op_matmul, pair, 2, NULL, &out);
  }
  return status == sn2_status_success ? define_value(im, output_name(n, 0), out) : status;
}

// --- Quantization -----------------------------------------------------------------------------

// Integer range of a quantized type.
static bool quantized_range(int32_t dtype, int64_t* lo, int64_t* hi) {
  switch (dtype) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: *lo = 0, *hi = 255; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: *lo = -128, *hi = 127; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: *lo = INT32_MIN, *hi = INT32_MAX; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: *lo = 0, *hi = 65535; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: *lo = -32768, *hi = 32767; return true;
    default: return false;
  }
}

// Scale (float constant) and zero point (integer constant, optional) of a Q/DQ node, checked
// against `x` for per-axis quantization. scale_stride/zero_stride are 0 for per-tensor.
struct quant_params {
  const struct entry* scale;
  const struct entry* zero;  // NULL = 0 of type uint8 (QuantizeLinear) or the input's type
  uint32_t axis;
  bool per_axis;
};

static enum sn2_status read_quant_params(struct importer* im, const Onnx__NodeProto* n,
                                         uint32_t rank, const int64_t* dims,
                                         struct quant_params* q) {
  struct entry* scale;
  enum sn2_status status = need(im, n, 1, &scale);
  if (status != sn2_status_success) return status;
  struct entry* zero = input(im, n, 2);
  if (scale->kind != entry_constant || !scale->is_float || (zero && (zero->kind != entry_constant || zero->is_float))) {
    return fail(im, sn2_status_unsupported_parameter, "scale and zero point must be constants");
  }
  if (zero && zero->count != scale->count) return fail(im, sn2_status_invalid_model, "scale and zero point differ in size");
  q->scale = scale;
  q->zero = zero;
  q->per_axis = scale->count != 1 || scale->rank != 0;
  q->axis = 0;
  if (scale->count != 1) {
    if ((status = axis_of(im, attr_int(n, "axis", 1), rank, &q->axis)) != sn2_status_success) return status;
    if (scale->rank != 1 || scale->dims[0] != dims[q->axis]) {
      return fail(im, sn2_status_invalid_model, "per-axis scale has %zu values, axis %u has %lld",
                  scale->count, q->axis, (long long)dims[q->axis]);
    }
  } else {
    q->per_axis = false;
  }
  return sn2_status_success;
}

// Index of the scale that applies to flat element k of a row-major tensor.
static size_t quant_channel(const struct quant_params* q, uint32_t rank, const int64_t* dims, size_t k) {
  if (!q->per_axis) return 0;
  size_t inner = 1;
  for (uint32_t d = q->axis + 1; d < rank; d++) inner *= (size_t)dims[d];
  return (k / inner) % (size_t)dims[q->axis];
}

static enum sn2_status import_dequantize(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  if (status != sn2_status_success) return status;
  uint32_t rank;
  int64_t dims[MAX_CONST_RANK];
  entry_shape(im, x, &rank, dims);
  struct quant_params q;
  if ((status = read_quant_params(im, n, rank, dims, &q)) != sn2_status_success) return status;
  if (x->kind == entry_quantized) {
    const int64_t zero = q.zero ? q.zero->i[0] : 0;
    if (q.per_axis || q.scale->f[0] != x->qscale || zero != x->qzero) {
      return fail(im, sn2_status_unsupported_parameter,
                  "DequantizeLinear of '%s' uses another scale or zero point than its "
                  "QuantizeLinear (requantization is not supported)",
                  x->name);
    }
    return emit_clamp(im, &(struct entry){.kind = entry_value, .value = x->value, .name = x->name},
                      x->qlo, x->qhi, output_name(n, 0));
  }
  if (x->kind != entry_constant || x->is_float) {
    return fail(im, sn2_status_unsupported_parameter,
                "'%s' is a runtime integer tensor (sn2 computes in fp32; only constants and "
                "QuantizeLinear outputs can be dequantized)",
                x->name);
  }
  struct entry out = make_constant(true, x->rank, x->dims);
  if ((status = allocate(im, &out)) != sn2_status_success) return status;
  for (size_t k = 0; k < x->count; k++) {
    const size_t c = quant_channel(&q, rank, dims, k);
    const int64_t zero = q.zero ? q.zero->i[c] : 0;
    out.f[k] = (float)(x->i[k] - zero) * q.scale->f[c];
  }
  return define_constant(im, output_name(n, 0), &out);
}

static enum sn2_status import_quantize(struct importer* im, const Onnx__NodeProto* n) {
  struct entry* x;
  enum sn2_status status = need(im, n, 0, &x);
  if (status != sn2_status_success) return status;
  uint32_t rank;
  int64_t dims[MAX_CONST_RANK];
  entry_shape(im, x, &rank, dims);
  struct quant_params q;
  if ((status = read_quant_params(im, n, rank, dims, &q)) != sn2_status_success) return status;
  const int32_t dtype = q.zero ? q.zero->dtype : ONNX__TENSOR_PROTO__DATA_TYPE__UINT8;
  int64_t lo, hi;
  if (!quantized_range(dtype, &lo, &hi)) return fail(im, sn2_status_unsupported_parameter, "quantized type %d", dtype);
  if (x->kind == entry_constant && x->is_float) {
    struct entry out = make_constant(false, x->rank, x->dims);
    out.dtype = dtype;
    if ((status = allocate(im, &out)) != sn2_status_success) return status;
    for (size_t k = 0; k < x->count; k++) {
      const size_t c = quant_channel(&q, rank, dims, k);
      const double v = rint((double)x->f[k] / q.scale->f[c]) + (double)(q.zero ? q.zero->i[c] : 0);
      out.i[k] = v < lo ? lo : v > hi ? hi : (int64_t)v;
    }
    return define_constant(im, output_name(n, 0), &out);
  }
  if (x->kind != entry_value) return fail(im, sn2_status_invalid_model, "input must be a float tensor");
  if (q.per_axis) {
    return fail(im, sn2_status_unsupported_parameter, "per-axis quantization of an activation");
  }
  const float scale = q.scale->f[0];
  const int64_t zero = q.zero ? q.zero->i[0] : 0;
  if (!(scale > 0.0f)) return fail(im, sn2_status_invalid_model, "scale %g must be positive", scale);
  struct entry e;
  memset(&e, 0, sizeof e);
  e.kind = entry_quantized;
  e.value = x->value;
  e.qscale = scale;
  e.qzero = zero;
  e.qlo = (float)((double)(lo - zero) * scale);
  e.qhi = (float)((double)(hi - zero) * scale);
  return define(im, output_name(n, 0), &e);
}

// --- The driver -------------------------------------------------------------------------------

static const struct {
  const char* op_type;
  op_importer import;
} op_table[] = {
    {"Add", import_binary},
    {"AveragePool", import_pool},
    {"BatchNormalization", import_batchnorm},
    {"Cast", import_cast},
    {"Clip", import_clip},
    {"Concat", import_concat},
    {"Constant", import_constant},
    {"ConstantOfShape", import_constant_of_shape},
    {"Conv", import_conv},
    {"DequantizeLinear", import_dequantize},
    {"Div", import_binary},
    {"Dropout", import_dropout},
    {"Flatten", import_flatten},
    {"Gather", import_gather},
    {"Gemm", import_gemm},
    {"GlobalAveragePool", import_global_avg_pool},
    {"Identity", import_identity},
    {"MatMul", import_matmul},
    {"MaxPool", import_pool},
    {"Mul", import_binary},
    {"QuantizeLinear", import_quantize},
    {"ReduceMean", import_reduce_mean},
    {"Relu", import_relu},
    {"Reshape", import_reshape},
    {"Shape", import_shape},
    {"Slice", import_slice},
    {"Softmax", import_softmax},
    {"Split", import_split},
    {"Squeeze", import_squeeze},
    {"Sub", import_binary},
    {"Transpose", import_transpose},
    {"Unsqueeze", import_unsqueeze},
};

static op_importer find_op(const char* op_type) {
  for (size_t k = 0; k < sizeof op_table / sizeof *op_table; k++) {
    if (strcmp(op_table[k].op_type, op_type) == 0) return op_table[k].import;
  }
  return NULL;
}

bool sn2_onnx_op_supported(const char* op_type) { return op_type && find_op(op_type) != NULL; }

// Orders the nodes so that each comes after the producers of its inputs (Kahn's algorithm on
// the producer -> consumer edges, linear in their number). Fails on a cycle or on an input that
// nothing defines.
static enum sn2_status topological_order(struct importer* im, const Onnx__GraphProto* g,
                                         size_t* order) {
  const size_t count = g->n_node;
  size_t edges = 0;
  for (size_t k = 0; k < count; k++) edges += g->node[k]->n_input;
  size_t* pending = calloc(count + 1, sizeof *pending);      // unplaced producers per node
  size_t* first_edge = calloc(count + 2, sizeof *first_edge);  // CSR of consumers per producer
  size_t* consumer = calloc(edges + 1, sizeof *consumer);
  uint32_t* producer_of = calloc(edges + 1, sizeof *producer_of);  // per (node, input), or -1
  struct importer names = {.options = im->options};  // tensor name -> producing node
  enum sn2_status status = sn2_status_success;
  if (!pending || !first_edge || !consumer || !producer_of) {
    status = fail(im, sn2_status_out_of_memory, "out of memory");
  }
  for (size_t k = 0; k < count && status == sn2_status_success; k++) {
    const Onnx__NodeProto* n = g->node[k];
    for (size_t o = 0; o < n->n_output && status == sn2_status_success; o++) {
      if (!n->output[o] || !n->output[o][0]) continue;
      if (find(&names, n->output[o]) || find(im, n->output[o])) {
        status = fail(im, sn2_status_invalid_model, "tensor '%s' is defined twice", n->output[o]);
        break;
      }
      struct entry e = {.kind = entry_value, .value = (uint32_t)k};
      status = define(&names, n->output[o], &e);
    }
  }
  size_t slot = 0;
  for (size_t k = 0; k < count && status == sn2_status_success; k++) {
    const Onnx__NodeProto* n = g->node[k];
    for (size_t i = 0; i < n->n_input; i++, slot++) {
      producer_of[slot] = UINT32_MAX;
      if (!n->input[i] || !n->input[i][0]) continue;
      const struct entry* p = find(&names, n->input[i]);
      if (p) {
        producer_of[slot] = p->value;
        pending[k]++;
        first_edge[p->value + 1]++;
      } else if (!find(im, n->input[i])) {
        im->node_name = n->name && n->name[0] ? n->name : (n->op_type ? n->op_type : "?");
        im->op_type = n->op_type ? n->op_type : "?";
        status = fail(im, sn2_status_invalid_model,
                      "input '%s' is not defined by any node, initializer or graph input",
                      n->input[i]);
        im->op_type = NULL;
        break;
      }
    }
  }
  if (status == sn2_status_success) {
    for (size_t k = 0; k < count; k++) first_edge[k + 1] += first_edge[k];
    size_t* fill = calloc(count + 1, sizeof *fill);
    if (!fill) {
      status = fail(im, sn2_status_out_of_memory, "out of memory");
    } else {
      slot = 0;
      for (size_t k = 0; k < count; k++) {
        for (size_t i = 0; i < g->node[k]->n_input; i++, slot++) {
          const uint32_t p = producer_of[slot];
          if (p != UINT32_MAX) consumer[first_edge[p] + fill[p]++] = k;
        }
      }
      free(fill);
    }
  }
  size_t placed = 0, head = 0;
  for (size_t k = 0; k < count && status == sn2_status_success; k++) {
    if (pending[k] == 0) order[placed++] = k;
  }
  while (status == sn2_status_success && head < placed) {
    const size_t done = order[head++];
    for (size_t e = first_edge[done]; e < first_edge[done + 1]; e++) {
      if (--pending[consumer[e]] == 0) order[placed++] = consumer[e];
    }
  }
  if (status == sn2_status_success && placed != count) {
    for (size_t k = 0; k < count; k++) {
      if (pending[k]) {
        status = fail(im, sn2_status_invalid_model, "the graph has a cycle through node '%s' (%s)",
                      g->node[k]->name ? g->node[k]->name : "",
                      g->node[k]->op_type ? g->node[k]->op_type : "?");
        break;
      }
    }
  }
  for (size_t k = 0; k < names.entry_count; k++) free_entry_data(&names.entries[k]);
  free(names.entries);
  free(names.table);
  free(pending);
  free(first_edge);
  free(consumer);
  free(producer_of);
  return status;
}

static enum sn2_status add_graph_input(struct importer* im, const Onnx__ValueInfoProto* info) {
  const char* name = info->name;
  const Onnx__TypeProto__Tensor* t =
      info->type && info->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ? info->type->tensor_type : NULL;
  if (!t || !t->has_elem_type || t->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
    return fail(im, sn2_status_unsupported_parameter, "input '%s' must be a float tensor", name);
  }
  if (!t->shape || t->shape->n_dim == 0 || t->shape->n_dim > SN2_MAX_RANK) {
    return fail(im, sn2_status_unsupported_parameter,
                "input '%s' needs a static shape of rank 1 to %d", name, SN2_MAX_RANK);
  }
  uint32_t dims[SN2_MAX_RANK];
  for (size_t d = 0; d < t->shape->n_dim; d++) {
    const Onnx__TensorShapeProto__Dimension* dim = t->shape->dim[d];
    const bool known = dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    if (!known && d == 0) {
      dims[d] = 1;  // a symbolic batch dim: sn2 plans for batch 1
    } else if (!known || dim->dim_value < 1 || dim->dim_value > (INT64_C(1) << 31)) {
      return fail(im, sn2_status_unsupported_parameter,
                  "input '%s': dim %zu is not a fixed positive size (only the batch dim may be "
                  "symbolic)", name, d);
    } else {
      dims[d] = (uint32_t)dim->dim_value;
    }
  }
  uint32_t value;
  enum sn2_status status = sn2_graph_add_input(im->graph, name, (uint32_t)t->shape->n_dim, dims, &value);
  if (status != sn2_status_success) return status;
  return define_value(im, name, value);
}

static enum sn2_status finish_output(struct importer* im, const Onnx__GraphProto* g);

static enum sn2_status import_graph(struct importer* im, const Onnx__ModelProto* model) {
  const Onnx__GraphProto* g = model->graph;
  if (!g) return fail(im, sn2_status_invalid_model, "no graph");
  im->opset = -1;
  for (size_t k = 0; k < model->n_opset_import; k++) {
    const Onnx__OperatorSetIdProto* o = model->opset_import[k];
    if (!o->domain || !o->domain[0] || strcmp(o->domain, "ai.onnx") == 0) im->opset = o->version;
  }
  // Opsets 9 to 18 are what sn2 targets; older files load where an op's old form is also
  // its current one (ops that changed fail on their own checks, e.g. Reshape's shape input).
  if (im->opset < 1 || im->opset > 18) {
    return fail(im, sn2_status_unsupported_parameter, "opset %lld (sn2 supports up to 18)", (long long)im->opset);
  }
  enum sn2_status status = sn2_status_success;
  for (size_t k = 0; k < g->n_initializer && status == sn2_status_success; k++) {
    struct entry e;
    if (!g->initializer[k]->name) return fail(im, sn2_status_invalid_model, "an initializer has no name");
    status = read_tensor(im, g->initializer[k], &e);
    if (status == sn2_status_success) status = define_constant(im, g->initializer[k]->name, &e);
    else free_entry_data(&e);
  }
  size_t runtime_inputs = 0;
  for (size_t k = 0; k < g->n_input && status == sn2_status_success; k++) {
    const Onnx__ValueInfoProto* info = g->input[k];
    if (!info->name) return fail(im, sn2_status_invalid_model, "an input has no name");
    if (find(im, info->name)) continue;  // an initializer with a default
    if (runtime_inputs++ == 0) {
      status = add_graph_input(im, info);
      continue;
    }
    const size_t slot = runtime_inputs - 2;
    const struct sn2_onnx_import_options* o = im->options;
    if (slot >= o->bound_input_count || !o->bound_inputs[slot]) {
      return fail(im, sn2_status_unsupported_parameter,
                  "the graph has a second runtime input '%s' (sn2 models take one input)", info->name);
    }
    Onnx__TensorProto* t = onnx__tensor_proto__unpack(NULL, o->bound_input_sizes[slot], o->bound_inputs[slot]);
    if (!t) return fail(im, sn2_status_invalid_model, "the tensor bound to '%s' does not parse", info->name);
    struct entry e;
    status = read_tensor(im, t, &e);
    onnx__tensor_proto__free_unpacked(t, NULL);
    if (status == sn2_status_success) status = define_constant(im, info->name, &e);
    else free_entry_data(&e);
  }
  if (status != sn2_status_success) return status;
  if (runtime_inputs == 0) return fail(im, sn2_status_unsupported_parameter, "the graph has no runtime input");

  size_t* order = malloc((g->n_node ? g->n_node : 1) * sizeof *order);
  if (!order) return fail(im, sn2_status_out_of_memory, "out of memory");
  status = topological_order(im, g, order);
  for (size_t k = 0; k < g->n_node && status == sn2_status_success; k++) {
    const Onnx__NodeProto* n = g->node[order[k]];
    im->op_type = n->op_type ? n->op_type : "?";
    if (n->name && n->name[0]) {
      im->node_name = n->name;
    } else {
      snprintf(im->fallback_name, sizeof im->fallback_name, "%s_%zu", im->op_type, order[k]);
      im->node_name = im->fallback_name;
    }
    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") != 0) {
      status = fail(im, sn2_status_unsupported_parameter, "operator domain '%s' is not supported", n->domain);
      break;
    }
    const op_importer import = find_op(im->op_type);
    if (!import) {
      status = fail(im, sn2_status_unsupported_parameter, "op type %s is not supported", im->op_type);
      break;
    }
    status = import(im, n);
  }
  im->op_type = NULL;
  free(order);
  if (status != sn2_status_success) return status;
  return finish_output(im, g);
}

static enum sn2_status finish_output(struct importer* im, const Onnx__GraphProto* g) {
  const char* wanted = im->options->output_name;
  if (!wanted) {
    if (g->n_output == 0 || !g->output[0]->name) return fail(im, sn2_status_invalid_model, "the graph has no output");
    wanted = g->output[0]->name;
  }
  struct entry* out = find(im, wanted);
  if (!out) return fail(im, sn2_status_invalid_model, "output '%s' is not computed by the graph", wanted);
  // A float output that does not depend on the input is a constant the model returns.
  uint32_t value;
  enum sn2_status status = as_value(im, out, &value);
  if (status != sn2_status_success) return status;
  im->graph->output = value;
  return sn2_graph_validate(im->graph);
}

enum sn2_status sn2_onnx_import(const uint8_t* data, size_t size,
                                const struct sn2_onnx_import_options* options,
                                struct sn2_graph** graph_out) {
  static const struct sn2_onnx_import_options defaults = {0};
  if (!data || !graph_out) return sn2_error(sn2_status_invalid_parameter, "ONNX import: null argument");
  *graph_out = NULL;
  struct importer im = {.options = options ? options : &defaults};
  Onnx__ModelProto* model = onnx__model_proto__unpack(NULL, size, data);
  if (!model) {
    return sn2_error(sn2_status_invalid_model,
                     "ONNX model: %zu bytes do not parse as a ModelProto (truncated or not ONNX)", size);
  }
  enum sn2_status status = sn2_graph_create(&im.graph);
  if (status == sn2_status_success) status = import_graph(&im, model);
  for (size_t k = 0; k < im.entry_count; k++) free_entry_data(&im.entries[k]);
  free(im.entries);
  free(im.table);
  onnx__model_proto__free_unpacked(model, NULL);
  if (status != sn2_status_success) {
    sn2_graph_delete(im.graph);
    return status;
  }
  *graph_out = im.graph;
  return sn2_status_success;
}

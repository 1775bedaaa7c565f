#include "error.h"

#include <stdarg.h>
#include <stdio.h>

static _Thread_local char last_error[512];

enum sn2_status sn2_error(enum sn2_status status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(last_error, sizeof last_error, format, args);
  va_end(args);
  // One line, whatever a model's names hold: control characters (a newline in a node name, an
  // escape sequence) become '?'.
  for (char* c = last_error; *c; c++) {
    if ((unsigned char)*c < 0x20 || *c == 0x7f) *c = '?';
  }
  return status;
}

void sn2_clear_error(void) { last_error[0] = '\0'; }

const char* sn2_last_error(void) { return last_error; }

const char* sn2_status_string(enum sn2_status status) {
  switch (status) {
    case sn2_status_success: return "success";
    case sn2_status_invalid_parameter: return "invalid parameter";
    case sn2_status_unsupported_parameter: return "unsupported parameter";
    case sn2_status_unsupported_hardware: return "unsupported hardware";
    case sn2_status_out_of_memory: return "out of memory";
    case sn2_status_invalid_state: return "invalid state";
    case sn2_status_invalid_model: return "invalid model";
    case sn2_status_io_error: return "I/O error";
  }
  return "unknown status";
}

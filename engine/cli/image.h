// ImageNet preprocessing for the CLI: decode PNG/JPEG, resize the shorter side to 256 with
// PIL's bilinear filter (antialiased when shrinking, as torchvision's Resize on PIL images),
// centre-crop 224x224, scale to [0, 1] and normalise with the ImageNet mean and std.
#ifndef SN2_CLI_IMAGE_H
#define SN2_CLI_IMAGE_H

#include <stddef.h>

// Writes 3 * size * size floats in NCHW order (RGB planes). Returns 0 on success, else -1 with
// a message in `error`.
int sn2_cli_load_image(const char* path, unsigned resize_to, unsigned size, float* nchw,
                       char* error, size_t error_size);

#endif  // SN2_CLI_IMAGE_H

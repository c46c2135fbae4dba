// Shared by the kernels: how a function is exported from the module.
#pragma once
#include <stdint.h>
#define EXPORT(name) __attribute__((export_name(name)))

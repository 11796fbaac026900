/* gzip decompression with ISA-L (gunzip.c), registered by strata_native.c's init. */
#ifndef STRATA_GUNZIP_H
#define STRATA_GUNZIP_H
#include <node_api.h>

napi_value js_gunzip_new(napi_env env, napi_callback_info info);
napi_value js_gunzip(napi_env env, napi_callback_info info);

#endif

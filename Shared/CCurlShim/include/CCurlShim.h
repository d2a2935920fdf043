// Non-variadic wrappers for libcurl's variadic setopt/getinfo calls, which Swift cannot import.
#ifndef C_CURL_SHIM_H
#define C_CURL_SHIM_H

#include <curl/curl.h>

typedef size_t (*cturnout_curl_data_callback)(char *data, size_t size, size_t count, void *context);

CURLcode cturnout_easy_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode cturnout_easy_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode cturnout_easy_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode cturnout_easy_setopt_size(CURL *handle, CURLoption option, curl_off_t value);
CURLcode cturnout_easy_setopt_callback(CURL *handle, CURLoption option, cturnout_curl_data_callback callback);
CURLcode cturnout_easy_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode cturnout_easy_getinfo_pointer(CURL *handle, CURLINFO info, void **value);
CURLMcode cturnout_multi_setopt_long(CURLM *multi, CURLMoption option, long value);

#endif

/* sanitized.h — SANITIZED is 1 in a build with AddressSanitizer (make
 * check's second pass), where tests that are long only for their sheer
 * repetition run fewer rounds of the same code. */
#ifndef TESTS_SANITIZED_H
#define TESTS_SANITIZED_H

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

#endif

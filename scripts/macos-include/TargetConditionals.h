/* A stand-in for the macOS SDK's TargetConditionals.h, for scripts/check-macos.sh only: ring's
 * C (the TLS of the DPS client) includes it on Apple targets to tell macOS from iOS. The check
 * compiles that C without any SDK, freestanding, only so that ring's build script succeeds;
 * nothing it makes is linked or run. */
#ifndef DPS_CERT_GEN_TARGET_CONDITIONALS_H
#define DPS_CERT_GEN_TARGET_CONDITIONALS_H
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#define TARGET_OS_TV 0
#define TARGET_OS_WATCH 0
#define TARGET_OS_SIMULATOR 0
#endif

// Not a test of libfadump: the self-test of scripts/fuzz. It overflows a
// heap buffer (AddressSanitizer reports it, libFuzzer exits non-zero) on
// the input "crash", and does nothing on any other input. scripts/fuzz
// --self-test runs it on lib/fuzz/corpus/fuzz_selftest_crash/crash through
// the same code path as the real targets and requires a failure, so a
// script that swallowed the fuzzer's exit status would be caught.
#include <cstdint>
#include <cstring>
#include <memory>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 5 && std::memcmp(data, "crash", 5) == 0) {
        auto buf = std::make_unique<volatile uint8_t[]>(size);
        return buf[size];  // one past the end
    }
    return 0;
}

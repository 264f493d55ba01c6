@testable import BifrostCLI
import Testing

/// The start-up restart with a larger glibc thread cache: what it sets, and when it stays away.
@Suite("Thread cache tuning")
struct ThreadCacheTuningTests {
    @Test func theCacheSizeIsAddedToTheUsersTunablesUnlessTheySetIt() {
        #expect(ThreadCacheTuning.tunables(current: nil) == "glibc.malloc.tcache_count=1024")
        #expect(ThreadCacheTuning.tunables(current: "") == "glibc.malloc.tcache_count=1024")
        #expect(ThreadCacheTuning.tunables(current: "glibc.malloc.arena_max=2")
            == "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=1024")
        #expect(ThreadCacheTuning.tunables(current: "glibc.malloc.tcache_count=7") == nil)
        #expect(ThreadCacheTuning.tunables(current: "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=7") == nil)
        #expect(ThreadCacheTuning.cacheSetting(in: "glibc.malloc.arena_max=2:glibc.malloc.tcache_count=7") == "7")
    }

    /// Under valgrind /proc/self/exe is valgrind's tool: executing it again would start the tool alone.
    @Test func valgrindIsRecognisedByItsPreloadLibrary() {
        #expect(ThreadCacheTuning.isUnderValgrind(preload: "/usr/libexec/valgrind/vgpreload_core-amd64-linux.so"))
        #expect(!ThreadCacheTuning.isUnderValgrind(preload: nil))
        #expect(!ThreadCacheTuning.isUnderValgrind(preload: "/usr/lib/libjemalloc.so.2"))
    }
}

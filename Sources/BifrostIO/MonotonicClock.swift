import Glibc

/// Nanoseconds on `CLOCK_MONOTONIC`: never jumps with wall-clock changes.
public enum MonotonicClock {
    /// The current monotonic time in nanoseconds.
    @inline(__always)
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}

/// A span of time in nanoseconds, built from the units configuration uses.
public enum Nanoseconds {
    public static func seconds(_ value: Double) -> UInt64 { UInt64(max(0, value) * 1e9) }
    public static func milliseconds(_ value: Int) -> UInt64 { UInt64(max(0, value)) * 1_000_000 }
}

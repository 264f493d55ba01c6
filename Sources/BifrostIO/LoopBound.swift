/// Carries a loop-confined value into `Sendable` closures that run on that value's loop.
///
/// The compiler cannot see event-loop confinement, so this box vouches for it: create it on the
/// loop and dereference ``value`` only on the same loop. It holds the value strongly; a weak box would
/// give the object a side table and make every later retain and release of it take the slow path.
public struct LoopBound<Value>: @unchecked Sendable {
    /// The confined value; read it only on its loop.
    public let value: Value

    /// Wraps `value`, which must belong to the loop the closures will run on.
    public init(_ value: Value) { self.value = value }
}

/// An event loop can run Swift tasks: `Task(executorPreference: loop) { ... }` keeps a request's
/// work on the thread that owns its sockets, so resuming after I/O costs no thread hand-off.
/// Jobs enqueued from the loop itself run after the current event batch, without a wake-up.
extension EventLoop: TaskExecutor {
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if inEventLoop {
            deferJob(job)
        } else {
            enqueueRemote(.job(job))
        }
    }
}

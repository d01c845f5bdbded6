// A robust mutex whose owner thread died, locked from a Swift task (a runtime thread, where the
// agent times lock calls): pthread_mutex_lock must return EOWNERDEAD, as without the agent.
import Glibc

nonisolated(unsafe) let m = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
var attr = pthread_mutexattr_t()
pthread_mutexattr_init(&attr)
pthread_mutexattr_setrobust(&attr, Int32(PTHREAD_MUTEX_ROBUST))
pthread_mutex_init(m, &attr)
var owner = pthread_t()
pthread_create(
    &owner, nil,
    { arg in
        pthread_mutex_lock(arg!.assumingMemoryBound(to: pthread_mutex_t.self))
        return nil  // exits holding it
    }, m)
pthread_join(owner, nil)
let r = await Task.detached { pthread_mutex_lock(m) }.value
print("lock returned \(r == EOWNERDEAD ? "EOWNERDEAD" : r == EDEADLK ? "EDEADLK" : String(r))")

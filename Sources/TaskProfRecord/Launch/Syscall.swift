import Foundation

/// A failed system call, with the call's name and errno, as the user should see it.
public struct SystemCallError: Error, CustomStringConvertible {
    public var call: String
    public var errno: Int32
    public var subject: String

    public var description: String {
        "\(call)(\(subject)) failed: \(String(cString: strerror(errno)))"
    }
}

/// Every system call from Swift goes through here: retried on EINTR, failures thrown as
/// `SystemCallError` instead of being checked ad hoc at each call site.
@discardableResult
public func retryingSyscall<T: BinaryInteger>(_ name: String, _ subject: String = "", _ body: () -> T) throws -> T {
    while true {
        let r = body()
        if r >= 0 { return r }
        let e = errno
        if e == EINTR { continue }
        throw SystemCallError(call: name, errno: e, subject: subject)
    }
}

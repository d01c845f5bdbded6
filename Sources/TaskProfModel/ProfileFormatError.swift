/// Why a file could not be read as a profile. The message names the problem and what to do.
public enum ProfileFormatError: Error, Equatable, CustomStringConvertible {
    case notAProfile(String)
    case unsupportedVersion(UInt32)
    case truncated(String)
    case corrupt(String)

    public var description: String {
        switch self {
        case .notAProfile(let path):
            return "\(path) is not a taskprof profile (no TASKPROF header); record one with `taskprof record -o FILE -- PROGRAM`"
        case .unsupportedVersion(let v):
            return "profile format version \(v) is newer than this taskprof understands (\(ProfileFile.version)); update taskprof"
        case .truncated(let what):
            return "profile is truncated (\(what)); it was cut short while being written — record it again"
        case .corrupt(let what):
            return "profile is corrupt: \(what)"
        }
    }
}

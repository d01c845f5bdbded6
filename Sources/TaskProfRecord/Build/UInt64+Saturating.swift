extension UInt64 {
    /// Sum that stops at `UInt64.max`: durations and busy times come from the raw stream, and a
    /// damaged stream must not trap the converter with an arithmetic overflow.
    func addingSaturated(_ other: UInt64) -> UInt64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}

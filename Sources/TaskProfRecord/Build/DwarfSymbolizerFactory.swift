import TaskProfModel
import TaskProfSymbolize

/// The symbolizer used for real recordings, in one place so `record` and `convert` agree.
public enum DwarfSymbolizerFactory {
    public static func make(_ modules: [LoadedModule]) -> any Symbolizer { DwarfSymbolizer(modules: modules) }
}

enum TaskProfAnalysisPlaceholder {}

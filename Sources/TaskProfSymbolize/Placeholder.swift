enum TaskProfSymbolizePlaceholder {}

enum TaskProfReportsPlaceholder {}

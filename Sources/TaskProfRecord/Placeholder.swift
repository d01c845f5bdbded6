enum TaskProfRecordPlaceholder {}

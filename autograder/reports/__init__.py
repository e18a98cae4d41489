"""Reports: what students, instructors and the platforms read of a graded submission or batch."""

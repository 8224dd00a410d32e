"""SQLite conversations: schema and migrations, the recorder, records, transcripts."""

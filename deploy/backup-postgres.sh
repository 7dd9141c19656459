#!/usr/bin/env bash
# Nightly backup of the chat server's PostgreSQL database (docs/going-live.md, "Backups"):
# a compressed custom-format dump, kept 14 days. Run from cron or a systemd timer as a
# user that may read the database, e.g.  0 3 * * *  /opt/chatbot/deploy/backup-postgres.sh
# Restore: pg_restore --clean --if-exists -d chatbot /var/backups/chatbot/chatbot-DATE.dump
set -euo pipefail
DB=${CHATBOT_DB:-chatbot}  # a database name or a postgresql:// connection URI
DIR=${CHATBOT_BACKUPS:-/var/backups/chatbot}
KEEP_DAYS=${CHATBOT_KEEP_DAYS:-14}
mkdir -p "$DIR"
file="$DIR/chatbot-$(date +%Y%m%d-%H%M%S).dump"
pg_dump --format=custom --file="$file.part" "$DB"
mv "$file.part" "$file"
find "$DIR" -name "chatbot-*.dump" -mtime +"$KEEP_DAYS" -delete
echo "backed up to $file"

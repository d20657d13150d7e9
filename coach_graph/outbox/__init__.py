"""Messages to users (e-mail/push) written in the same transaction as their cause and sent later
by a background sender, so a message is never lost and never sent for a rolled-back change."""

"""Group customers (集团客户), their contacts and member numbers, and the customer page."""

DROP TABLE bulk_row;
DROP TABLE bulk_job;

DROP TABLE certificate_schema;
DROP TABLE certificate_template;

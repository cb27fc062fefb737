DROP TABLE certificate_standing;
DROP TABLE status_list_bit;
DROP TABLE status_list;

DROP TABLE wallet_copy;
DROP TABLE wallet_nonce;
DROP TABLE wallet_grant;
DROP TABLE wallet_offer;

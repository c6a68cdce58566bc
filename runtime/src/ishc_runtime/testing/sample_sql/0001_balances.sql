CREATE TABLE balances (
    account_id uuid    PRIMARY KEY,
    owner      text    NOT NULL,
    balance    bigint  NOT NULL,
    version    integer NOT NULL
);

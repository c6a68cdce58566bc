-- One database per service (DESIGN.md section 3); run once by the postgres image at first start.
CREATE DATABASE ishc_membership;
CREATE DATABASE ishc_finance;
CREATE DATABASE ishc_care;
CREATE DATABASE ishc_advocacy;
CREATE DATABASE ishc_reporting;

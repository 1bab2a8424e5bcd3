-- One database per service; no service reads another's.
CREATE DATABASE reception;
CREATE DATABASE workshop;
CREATE DATABASE parts;
CREATE DATABASE kpi;

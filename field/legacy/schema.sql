-- The old system's MySQL schema, as far as we know it: the tables `import_legacy` reads.
-- The column names are the old system's words (mcno, invno, dckw, ackw, daykw, totkw, timekw,
-- dateAt, isRun, userChecked ...); where a site's database differs, change
-- field/legacy/mapping.toml, not the importer. Times are naive local time (Asia/Seoul).
-- Tests and bench/import.py build a database from this file; it is never run on a real one.

CREATE TABLE customer (
  cno INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  cname VARCHAR(100) NOT NULL,
  ceo VARCHAR(50) NULL,
  tel VARCHAR(30) NULL,
  email VARCHAR(100) NULL,
  addr VARCHAR(200) NULL,
  memo TEXT NULL,
  regDate DATETIME NULL DEFAULT CURRENT_TIMESTAMP,
  updateAt TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  KEY customer_updateAt (updateAt)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE users (
  uid VARCHAR(50) NOT NULL PRIMARY KEY,
  upw VARCHAR(255) NULL,
  uname VARCHAR(50) NULL,
  authority TINYINT NOT NULL DEFAULT 2,  -- 0 administrator, 1 operator, 2 plant owner
  phone VARCHAR(20) NULL,
  email VARCHAR(100) NULL,
  cno INT NULL,
  useYn CHAR(1) NOT NULL DEFAULT 'Y',
  regDate DATETIME NULL DEFAULT CURRENT_TIMESTAMP,
  updateAt TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  KEY users_updateAt (updateAt)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE powerstation (
  mcno VARCHAR(20) NOT NULL PRIMARY KEY,
  psname VARCHAR(100) NOT NULL,
  cno INT NULL,
  manager VARCHAR(50) NULL,             -- users.uid
  area VARCHAR(20) NULL,                -- province, in Korean: 전남, 경기 ...
  addr VARCHAR(200) NULL,
  zipcode VARCHAR(7) NULL,              -- postal code of addr (see zipcode)
  lat DOUBLE NULL,
  lng DOUBLE NULL,
  capacity DECIMAL(10,2) NULL,          -- kWp
  status TINYINT NOT NULL DEFAULT 0,    -- 0 operating, 1 not in use, 2 under construction, 9 closed
  installDate DATE NULL,
  regDate DATETIME NULL DEFAULT CURRENT_TIMESTAMP,
  updateAt TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  KEY powerstation_updateAt (updateAt)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE inverter (
  mcno VARCHAR(20) NOT NULL,
  invno INT NOT NULL,
  maker VARCHAR(50) NULL,
  model VARCHAR(50) NULL,
  serial VARCHAR(50) NULL,
  capacity DECIMAL(8,2) NULL,           -- kW
  phase TINYINT NULL,
  useYn CHAR(1) NOT NULL DEFAULT 'Y',
  updateAt TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (mcno, invno),
  KEY inverter_updateAt (updateAt)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE inverterlog (
  idx BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  mcno VARCHAR(20) NOT NULL,
  invno INT NOT NULL,
  dckw DECIMAL(10,3) NULL,
  ackw DECIMAL(10,3) NULL,
  dcv DECIMAL(8,1) NULL,
  dca DECIMAL(8,1) NULL,
  acv_r DECIMAL(8,1) NULL,
  acv_s DECIMAL(8,1) NULL,
  acv_t DECIMAL(8,1) NULL,
  aca_r DECIMAL(8,1) NULL,
  aca_s DECIMAL(8,1) NULL,
  aca_t DECIMAL(8,1) NULL,
  hz DECIMAL(5,2) NULL,
  pf DECIMAL(5,3) NULL,
  temp DECIMAL(5,1) NULL,
  daykw DECIMAL(12,3) NULL,             -- energy today, kWh
  totkw DECIMAL(14,3) NULL,             -- lifetime energy, kWh
  isRun TINYINT NULL,                   -- 1 generating
  errCode INT NULL,
  dateAt DATETIME NOT NULL,
  KEY inverterlog_inv_date (mcno, invno, dateAt),
  KEY inverterlog_dateAt (dateAt)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE daygeneration (
  mcno VARCHAR(20) NOT NULL,
  invno INT NOT NULL,
  daykw DECIMAL(12,3) NULL,
  dateAt DATE NOT NULL,
  PRIMARY KEY (mcno, invno, dateAt)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE daytotalgeneration (
  mcno VARCHAR(20) NOT NULL,
  invno INT NOT NULL,
  totkw DECIMAL(14,3) NULL,
  dateAt DATE NOT NULL,
  PRIMARY KEY (mcno, invno, dateAt)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE timegeneration (
  mcno VARCHAR(20) NOT NULL,
  invno INT NOT NULL,
  timekw DECIMAL(12,3) NULL,
  dateAt DATETIME NOT NULL,             -- start of the hour
  PRIMARY KEY (mcno, invno, dateAt)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE smslog (
  idx BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  mcno VARCHAR(20) NULL,
  phone VARCHAR(20) NOT NULL,
  msg VARCHAR(1000) NOT NULL,
  result VARCHAR(50) NULL,
  sendAt DATETIME NOT NULL,
  KEY smslog_sendAt (sendAt)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE events (
  code INT NOT NULL PRIMARY KEY,
  ename VARCHAR(100) NOT NULL,
  notifyType VARCHAR(10) NULL           -- mail, sms, both, none
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE eventlog (
  idx BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  mcno VARCHAR(20) NOT NULL,
  invno INT NULL,
  code INT NOT NULL,
  userChecked TINYINT NOT NULL DEFAULT 0,
  dateAt DATETIME NOT NULL,
  clearAt DATETIME NULL,
  KEY eventlog_dateAt (dateAt)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE connboxlog (
  idx BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  mcno VARCHAR(20) NOT NULL,
  cbno INT NOT NULL,
  voltage DECIMAL(8,1) NULL,
  ch1 DECIMAL(6,2) NULL, ch2 DECIMAL(6,2) NULL, ch3 DECIMAL(6,2) NULL, ch4 DECIMAL(6,2) NULL,
  ch5 DECIMAL(6,2) NULL, ch6 DECIMAL(6,2) NULL, ch7 DECIMAL(6,2) NULL, ch8 DECIMAL(6,2) NULL,
  dateAt DATETIME NOT NULL,
  KEY connboxlog_dateAt (dateAt)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE temperature (
  idx BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  mcno VARCHAR(20) NOT NULL,
  sname VARCHAR(50) NOT NULL,           -- sensor name
  stype VARCHAR(20) NULL,               -- module, ambient, poa, ghi
  value DECIMAL(8,2) NULL,
  dateAt DATETIME NOT NULL,
  KEY temperature_dateAt (dateAt)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE remoteip (
  mcno VARCHAR(20) NOT NULL PRIMARY KEY,
  ip VARCHAR(45) NULL,
  updateAt TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE client_status (             -- grid-outage status reported from site (정전 현황)
  idx BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  mcno VARCHAR(20) NOT NULL,
  status TINYINT NOT NULL DEFAULT 0,    -- 0 grid normal, 1 power outage
  dateAt DATETIME NOT NULL,
  KEY client_status_dateAt (dateAt)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE sensorname (                -- a plant's sensors: name and type
  mcno VARCHAR(20) NOT NULL,
  sname VARCHAR(50) NOT NULL,
  stype VARCHAR(20) NULL,               -- module, ambient, poa, ghi, or a type of the site's own
  stypeName VARCHAR(50) NULL,           -- the type's name as the old screens showed it
  updateAt TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (mcno, sname),
  KEY sensorname_updateAt (updateAt)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE zipcode (                   -- postal code reference data
  seq INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  zipcode VARCHAR(7) NOT NULL,          -- five digits (six, with a dash, before 2015)
  sido VARCHAR(20) NOT NULL,            -- province or metropolitan city: 전라남도, 서울특별시
  gugun VARCHAR(30) NULL,               -- city, county or district: 해남군
  dong VARCHAR(50) NULL,
  KEY zipcode_zipcode (zipcode)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE key_value (                 -- settings, key -> text
  `key` VARCHAR(100) NOT NULL PRIMARY KEY,
  `value` TEXT NULL,
  updateAt TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  KEY key_value_updateAt (updateAt)
) DEFAULT CHARSET=utf8mb4;

CREATE TABLE login_history (
  idx BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  uid VARCHAR(50) NOT NULL,
  ip VARCHAR(45) NULL,
  loginAt DATETIME NOT NULL,
  logoutAt DATETIME NULL,
  KEY login_history_loginAt (loginAt)
) DEFAULT CHARSET=utf8mb4;

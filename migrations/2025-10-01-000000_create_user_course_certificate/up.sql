-- The NestJS service's table (docs/contract.md), with its quoted camelCase names, so that an existing
-- database keeps working. IF NOT EXISTS: that database may already have it.
CREATE TABLE IF NOT EXISTS user_course_certificate (
    "usercertificateId"     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    "userId"                uuid NOT NULL,
    "courseId"              varchar NOT NULL,
    "tenantId"              uuid NULL,
    "certificateId"         text NULL,
    "status"                text NULL,
    "issuedOn"              timestamptz NULL,
    "createdOn"             timestamptz NOT NULL DEFAULT now(),
    "updatedOn"             timestamptz NOT NULL DEFAULT now(),
    "createdBy"             text NULL,
    "completedOn"           timestamptz NULL,
    "completionPercentage"  integer NULL,
    "lastReadContentId"     text NULL,
    "lastReadContentStatus" integer NULL,
    "progress"              integer NULL
);

-- One row per learner and course: the upsert's conflict target, and what
-- turns the NestJS service's table scan per request into an index lookup.
CREATE UNIQUE INDEX IF NOT EXISTS user_course_certificate_user_course
    ON user_course_certificate ("userId", "courseId");

DROP INDEX IF EXISTS user_course_certificate_user_course;

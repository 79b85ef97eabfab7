import type { ScenarioTemplate } from './types.js';

/**
 * Customer education: a course of lessons that checks the customer's progress (lesson_completed events
 * with the lesson number and a quiz score) and assigns a remedial lesson or the certificate.
 */
export const education: ScenarioTemplate = {
  key: 'education',
  name: 'On-boarding: customer education',
  description:
    'Sends lesson 1 on enrolment and lesson 2 once it is completed. A quiz score of 80 or more earns the certificate and marks the profile a graduate; a lower score sends a remedial lesson and waits for lesson 2 again. A lesson left undone for 3 days gets a reminder.',
  settings: { reentry: 'once', goal: { event: 'course_completed', within: 'P60D' } },
  nodes: [
    { id: 'start', type: 'trigger.event', config: { event: 'course_enrolled' }, next: 'lesson_1' },
    { id: 'lesson_1', type: 'send', config: { channel: 'email', template_id: 'tpl:lesson_1', require_subscription: true }, next: 'wait_lesson_1' },
    {
      id: 'wait_lesson_1',
      type: 'wait_event',
      config: { event: 'lesson_completed', where: { lesson: 1 }, timeout: 'P3D' },
      branches: { received: 'lesson_2', timeout: 'reminder_1' },
    },
    { id: 'reminder_1', type: 'send', config: { channel: 'email', template_id: 'tpl:lesson_reminder', require_subscription: true } },
    { id: 'lesson_2', type: 'send', config: { channel: 'email', template_id: 'tpl:lesson_2', require_subscription: true }, next: 'wait_lesson_2' },
    {
      id: 'wait_lesson_2',
      type: 'wait_event',
      config: { event: 'lesson_completed', where: { lesson: 2 }, timeout: 'P3D' },
      branches: { received: 'quiz_passed', timeout: 'reminder_2' },
    },
    { id: 'reminder_2', type: 'send', config: { channel: 'email', template_id: 'tpl:lesson_reminder', require_subscription: true } },
    {
      id: 'quiz_passed',
      type: 'condition',
      config: { conditions: { field: 'data.event.properties.score', op: 'gte', value: 80 } },
      branches: { yes: 'certificate', no: 'remedial' },
    },
    { id: 'remedial', type: 'send', config: { channel: 'email', template_id: 'tpl:remedial', require_subscription: true }, next: 'wait_lesson_2' },
    { id: 'certificate', type: 'send', config: { channel: 'email', template_id: 'tpl:certificate', require_subscription: false }, next: 'graduate' },
    { id: 'graduate', type: 'update_profile', config: { set: { education_level: 'graduate' } }, next: 'course_done' },
    { id: 'course_done', type: 'goal', config: { name: 'course_completed' } },
  ],
  sample_templates: [
    { key: 'lesson_1', name: 'Lesson 1', channel: 'email', subject: 'Lesson 1: the basics', body: '<p>Start here.</p>' },
    { key: 'lesson_2', name: 'Lesson 2', channel: 'email', subject: 'Lesson 2: going further', body: '<p>Well done on lesson 1.</p>' },
    { key: 'lesson_reminder', name: 'Lesson reminder', channel: 'email', subject: 'Your lesson is waiting', body: '<p>Pick up where you left off.</p>' },
    { key: 'remedial', name: 'Remedial lesson', channel: 'email', subject: 'Let us go over it again', body: '<p>A short recap before you retake the quiz.</p>' },
    { key: 'certificate', name: 'Certificate', channel: 'email', subject: 'Your certificate', body: '<p>Congratulations, you completed the course.</p>' },
  ],
};

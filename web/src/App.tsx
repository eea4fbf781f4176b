/** Routes of the app; antd in the chosen language. Pages of later modules are added to PAGES (see docs/web.md). */
import { lazy, Suspense, type ReactNode } from 'react';
import { App as AntApp, ConfigProvider, Spin } from 'antd';
import zhCN from 'antd/es/locale/zh_CN';
import enUS from 'antd/es/locale/en_US';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { Navigate, Route, Routes } from 'react-router-dom';
import { AuthProvider, useAuth } from './auth';
import { useI18n } from './i18n';
import { AppLayout } from './components/AppLayout';
import { LoginPage } from './pages/Login';
import { Workbench } from './pages/Workbench';
import NotFound from './pages/NotFound';
import { ErrorPage } from './components/ErrorAlert';
import { LiveProvider } from './notify/LiveProvider';

const PatientSearch = lazy(() => import('./pages/PatientSearch'));
const Patient360 = lazy(() => import('./pages/patient/Patient360'));
const Users = lazy(() => import('./pages/admin/Users'));
const Institutions = lazy(() => import('./pages/admin/Institutions'));
const Audit = lazy(() => import('./pages/admin/Audit'));
const BreakGlassReport = lazy(() => import('./pages/admin/BreakGlassReport'));
const Inbox = lazy(() => import('./pages/inbox/Inbox'));
const Worklist = lazy(() => import('./pages/tasks/Worklist'));
const TaskDetail = lazy(() => import('./pages/tasks/TaskDetail'));
const Referrals = lazy(() => import('./pages/referral/Referrals'));
const NewReferral = lazy(() => import('./pages/referral/NewReferral'));
const ReferralDetail = lazy(() => import('./pages/referral/ReferralDetail'));
const CriticalValues = lazy(() => import('./pages/critical-values/CriticalValues'));
const CriticalValueDetail = lazy(() => import('./pages/critical-values/CriticalValueDetail'));
const ImagingCases = lazy(() => import('./pages/imaging/ImagingCases'));
const NewImagingRequest = lazy(() => import('./pages/imaging/NewImagingRequest'));
const ImagingCase = lazy(() => import('./pages/imaging/ImagingCase'));
const EcgCases = lazy(() => import('./pages/ecg/EcgCases'));
const NewEcgRequest = lazy(() => import('./pages/ecg/NewEcgRequest'));
const EcgCase = lazy(() => import('./pages/ecg/EcgCase'));
const ChestPain = lazy(() => import('./pages/chest-pain/ChestPain'));
const PathologyCases = lazy(() => import('./pages/pathology/PathologyCases'));
const NewPathologyRequest = lazy(() => import('./pages/pathology/NewPathologyRequest'));
const PathologyCase = lazy(() => import('./pages/pathology/PathologyCase'));
const PathologyQuality = lazy(() => import('./pages/pathology/Quality'));
const Consultations = lazy(() => import('./pages/consultation/Consultations'));
const NewConsultation = lazy(() => import('./pages/consultation/NewConsultation'));
const ConsultationDetail = lazy(() => import('./pages/consultation/ConsultationDetail'));
const ChronicDue = lazy(() => import('./pages/chronic/ChronicDue'));
const ChronicFollowUp = lazy(() => import('./pages/chronic/FollowUpForm'));
const ChronicIndicators = lazy(() => import('./pages/chronic/ChronicIndicators'));

function MyRecord() {
  const { me } = useAuth();
  return me?.patientId ? <Navigate to={`/patients/${me.patientId}`} replace /> : <Navigate to="/" replace />;
}

function Protected({ children }: { children: ReactNode }) {
  const { me, loading, error, retry } = useAuth();
  if (loading) return <Spin style={{ margin: 48 }} />;
  if (!me && error) return <ErrorPage error={error} onRetry={retry} />;
  if (!me) return <Navigate to="/login" replace />;
  return <AppLayout>{children}</AppLayout>;
}

export function App() {
  const { lang } = useI18n();
  dayjs.locale(lang === 'zh' ? 'zh-cn' : 'en');
  const page = (el: ReactNode) => (
    <Protected>
      <Suspense fallback={<Spin style={{ margin: 48 }} />}>{el}</Suspense>
    </Protected>
  );
  return (
    <ConfigProvider locale={lang === 'zh' ? zhCN : enUS} theme={{ token: { colorPrimary: '#1677ff' } }}>
      <AntApp>
        <AuthProvider>
          <LiveProvider>
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              <Route path="/" element={page(<Workbench />)} />
              <Route path="/patients" element={page(<PatientSearch />)} />
              <Route path="/patients/:id" element={page(<Patient360 />)} />
              <Route path="/my-record" element={page(<MyRecord />)} />
              <Route path="/manage/users" element={page(<Users />)} />
              <Route path="/manage/institutions" element={page(<Institutions />)} />
              <Route path="/manage/audit" element={page(<Audit />)} />
              <Route path="/manage/break-glass" element={page(<BreakGlassReport />)} />
              <Route path="/inbox" element={page(<Inbox />)} />
              <Route path="/tasks" element={page(<Worklist />)} />
              <Route path="/tasks/:id" element={page(<TaskDetail />)} />
              <Route path="/referrals" element={page(<Referrals />)} />
              <Route path="/referrals/new" element={page(<NewReferral />)} />
              <Route path="/referrals/:id" element={page(<ReferralDetail />)} />
              <Route path="/critical-values" element={page(<CriticalValues />)} />
              <Route path="/critical-values/:taskId" element={page(<CriticalValueDetail />)} />
              <Route path="/consultation" element={page(<Consultations />)} />
              <Route path="/consultation/new" element={page(<NewConsultation />)} />
              <Route path="/consultation/:id" element={page(<ConsultationDetail />)} />
              <Route path="/chronic" element={page(<ChronicDue />)} />
              <Route path="/chronic/follow-up/:patientId" element={page(<ChronicFollowUp />)} />
              <Route path="/chronic/indicators" element={page(<ChronicIndicators />)} />
              <Route path="/imaging" element={page(<ImagingCases />)} />
              <Route path="/imaging/new" element={page(<NewImagingRequest />)} />
              <Route path="/imaging/cases/:taskId" element={page(<ImagingCase />)} />
              <Route path="/ecg" element={page(<EcgCases />)} />
              <Route path="/ecg/new" element={page(<NewEcgRequest />)} />
              <Route path="/ecg/cases/:taskId" element={page(<EcgCase />)} />
              <Route path="/chest-pain" element={page(<ChestPain />)} />
              <Route path="/chest-pain/:id" element={page(<ChestPain />)} />
              <Route path="/pathology" element={page(<PathologyCases />)} />
              <Route path="/pathology/new" element={page(<NewPathologyRequest />)} />
              <Route path="/pathology/quality" element={page(<PathologyQuality />)} />
              <Route path="/pathology/cases/:taskId" element={page(<PathologyCase />)} />
              <Route path="*" element={page(<NotFound />)} />
            </Routes>
          </LiveProvider>
        </AuthProvider>
      </AntApp>
    </ConfigProvider>
  );
}
